"""The HTML pages: apply without JavaScript (a double click makes one case), my cases, the case
page, the staff worklist with colours, counter intake, notifications."""

from __future__ import annotations

import re

from django.test import Client

from yiwang.accounts.tests.factories import login_as, random_id_number
from yiwang.cases.models import Case
from yiwang.cases.tests.factories import Cast, png_upload
from yiwang.workflow import services as wf


def _token(html: str) -> str:
    return re.search(r'name="form_token" value="([0-9a-f]+)"', html).group(1)


def apply_data(token: str) -> dict:
    return {
        "shop_name": "湖滨小吃店",
        "area": "30",
        "category": "catering",
        "m_id_card": "upload",
        "m_id_card_file": png_upload("id.png"),
        "m_floor_plan": "upload",
        "m_floor_plan_file": png_upload(),
        "m_safety_rules": "commitment",
        "m_hukou_copy": "",
        "m_marriage": "",
        "delivery": "electronic",
        "sign": "on",
        "form_token": token,
    }


def test_a_citizen_applies_in_the_browser_and_a_double_click_makes_one_case(cast: Cast) -> None:
    client = login_as(Client(), cast.citizen)
    url = f"/cases/apply/{cast.item.implementation_code}/"
    page = client.get(url)
    assert page.status_code == 200 and "已自动填充" in page.content.decode()
    token = _token(page.content.decode())
    first = client.post(url, apply_data(token))
    second = client.post(url, apply_data(token))
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert client.get(first.url).status_code == 200
    assert case.number in client.get("/cases/").content.decode()


def test_a_form_error_is_shown_in_chinese(cast: Cast) -> None:
    client = login_as(Client(), cast.citizen)
    url = f"/cases/apply/{cast.item.implementation_code}/"
    token = _token(client.get(url).content.decode())
    data = apply_data(token)
    data.pop("m_floor_plan_file")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "请提供“经营场所平面图”。" in response.content.decode()
    assert Case.objects.count() == 0


def test_the_staff_worklist_and_case_page_accept(cast: Cast) -> None:
    wf.publish_definition(
        cast.item.implementation_code,
        "审查",
        {
            "stages": [
                {"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}
            ]
        },
    )
    citizen = login_as(Client(), cast.citizen)
    url = f"/cases/apply/{cast.item.implementation_code}/"
    number = citizen.post(url, apply_data(_token(citizen.get(url).content.decode()))).url.split(
        "/"
    )[-2]
    reviewer = login_as(Client(), cast.reviewer_a)
    worklist = reviewer.get("/cases/worklist/").content.decode()
    assert number in worklist
    response = reviewer.post(f"/cases/{number}/", {"action": "accept"})
    assert response.status_code == 302
    assert Case.objects.get(number=number).status == "in_review"
    assert "正常" in reviewer.get("/cases/worklist/?warning=none").content.decode()
    other = login_as(Client(), cast.other_citizen)
    assert other.get(f"/cases/{number}/").status_code == 404


def test_counter_intake_page_registers_and_accepts(cast: Cast) -> None:
    wf.publish_definition(
        cast.item.implementation_code,
        "审查",
        {
            "stages": [
                {"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}
            ]
        },
    )
    clerk = login_as(Client(), cast.clerk)
    page = clerk.get(f"/cases/counter/?item={cast.item.implementation_code}")
    assert page.status_code == 200
    token = _token(page.content.decode())
    data = {
        "item": cast.item.implementation_code,
        "form_token": token,
        "id_number": random_id_number(address_code="330102"),
        "name": "王大爷",
        "phone": "13912345678",
        "shop_name": "窗口小店",
        "area": "20",
        "category": "food",
        "paper": ["id_card", "safety_rules"],
        "decision": "deficiency",
    }
    response = clerk.post("/cases/counter/", data)
    assert response.status_code == 302, [str(m) for m in response.context["messages"]]
    case = Case.objects.get()
    assert case.status == "in_review" and case.acceptance_mode == "deficiency"
    assert clerk.get("/cases/notifications/").status_code == 200
