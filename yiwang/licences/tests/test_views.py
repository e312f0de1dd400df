"""The e-licence pages, with personas: the holder (a citizen), another citizen, the licence officer
of the issuing department (A), the officer of another department (B) and an anonymous visitor.
Wallet, licence page, downloads, share links, status changes, public verification (by QR link,
typed id and uploaded file), the key directory, the staff list and by-hand issuance."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from yiwang.accounts.selectors import decrypt_id_number
from yiwang.accounts.tests.factories import login_as
from yiwang.core.crypto import sm3_hex
from yiwang.core.masking import Audience, mask_id_number
from yiwang.licences import keys, selectors, services
from yiwang.licences.models import Licence, LicenceStatus, LicenceUse
from yiwang.licences.tests.factories import LicenceCast, issue_to_citizen, issue_to_enterprise
from yiwang.ui.navigation import build_navigation

pytestmark = pytest.mark.django_db


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def detail_url(licence: Licence) -> str:
    return f"/licences/{licence.licence_id}/"


def qr_url(licence: Licence, digest: str | None = None) -> str:
    d = licence.digest_short if digest is None else digest
    return f"/licences/verify/{licence.licence_id}/?d={d}"


def expire(licence: Licence) -> None:
    licence.valid_until = timezone.localdate() - dt.timedelta(days=1)
    licence.save(update_fields=["valid_until"])


# --- wallet and licence page ---------------------------------------------------------------------


def test_the_wallet_lists_the_holders_licences_and_those_of_his_enterprises(lcast: LicenceCast):
    own = issue_to_citizen(lcast)
    firm = issue_to_enterprise(lcast)
    mine = page(login_as(Client(), lcast.citizen), "/licences/")
    assert own.licence_id in mine and firm.licence_id not in mine
    assert lcast.person_type.name in mine and lcast.dept_a.name in mine
    assert "badge--success" in mine
    agents = page(login_as(Client(), lcast.base.agent), "/licences/")
    assert firm.licence_id in agents and own.licence_id not in agents


def test_the_wallet_of_a_citizen_without_licences_says_so(lcast: LicenceCast):
    issue_to_citizen(lcast)
    html = page(login_as(Client(), lcast.base.other_citizen), "/licences/")
    assert "还没有电子证照" in html


def test_the_wallet_marks_revoked_and_expired_licences(lcast: LicenceCast):
    revoked = issue_to_citizen(lcast)
    services.change_status(lcast.officer_a, revoked, "revoke", "签发错误")
    expire(issue_to_citizen(lcast))
    html = page(login_as(Client(), lcast.citizen), "/licences/")
    assert "已撤销" in html and "已过期" in html
    assert "badge--danger" in html and "badge--warning" in html


def test_an_anonymous_visitor_is_sent_to_sign_in(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    for url in (
        "/licences/",
        detail_url(licence),
        f"{detail_url(licence)}json",
        "/licences/manage/",
        "/licences/manage/issue/",
    ):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_holder_sees_the_labelled_content_and_history_and_no_use_is_recorded(
    lcast: LicenceCast,
):
    licence = issue_to_citizen(lcast, start_date="2026-01-05")
    html = page(login_as(Client(), lcast.citizen), detail_url(licence))
    assert "店铺名称" in html and "示范小吃店" in html
    assert "开业日期" in html and "2026-01-05" in html
    assert "签发" in html  # the history
    number = decrypt_id_number(lcast.citizen.person)
    assert number not in html and mask_id_number(number, Audience.STAFF) in html
    assert "分享核验链接" in html
    assert "变更证照状态" not in html
    assert not LicenceUse.objects.exists()


def test_another_citizen_and_the_officer_of_another_department_get_404(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    for stranger in (lcast.base.other_citizen, lcast.officer_b, lcast.base.outsider):
        client = login_as(Client(), stranger)
        for suffix in ("", "json", "pdf"):
            response = client.get(detail_url(licence) + suffix)
            assert response.status_code == 404
            assert licence.holder_name not in response.content.decode()
    assert not LicenceUse.objects.exists()


def test_the_issuing_officer_sees_the_licence_and_the_holder_sees_that_access(
    lcast: LicenceCast,
):
    licence = issue_to_citizen(lcast)
    html = page(login_as(Client(), lcast.officer_a), detail_url(licence))
    assert "变更证照状态" in html and "分享核验链接" not in html
    use = LicenceUse.objects.get(licence=licence)
    assert (use.purpose, use.actor, use.department, use.case) == (
        "证照管理查看",
        lcast.officer_a,
        lcast.dept_a,
        None,
    )
    holder_view = page(login_as(Client(), lcast.citizen), detail_url(licence))
    assert "证照管理查看" in holder_view and lcast.dept_a.name in holder_view
    assert LicenceUse.objects.count() == 1  # the holder's own look is not a use


def test_the_holder_downloads_the_signed_json_form_that_verifies(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    response = login_as(Client(), lcast.citizen).get(f"{detail_url(licence)}json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    form = json.loads(response.content)
    assert form["document"]["licence_id"] == licence.licence_id
    verdict = Client().post(
        "/licences/verify/",
        {"file": SimpleUploadedFile("licence.json", response.content, "application/json")},
    )
    assert "证照真实有效" in verdict.content.decode()


def test_the_holder_downloads_the_pdf_as_an_attachment_and_it_verifies(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    response = login_as(Client(), lcast.citizen).get(f"{detail_url(licence)}pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF-")
    licence.refresh_from_db()
    assert licence.pdf_sm3 == sm3_hex(response.content)
    verdict = Client().post(
        "/licences/verify/",
        {"file": SimpleUploadedFile("证照.pdf", response.content, "application/pdf")},
    )
    assert verdict.status_code == 200 and "证照真实有效" in verdict.content.decode()


def test_a_staff_download_is_recorded_as_a_use(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    assert login_as(Client(), lcast.officer_a).get(f"{detail_url(licence)}json").status_code == 200
    assert LicenceUse.objects.get(licence=licence).purpose == "证照管理下载"


# --- share links ---------------------------------------------------------------------------------


def _share(client: Client, licence: Licence, hours: int = 24) -> str:
    response = client.post(f"{detail_url(licence)}share-links/", {"hours": str(hours)})
    assert response.status_code == 200
    match = re.search(
        r'value="(http://testserver/licences/shared/[^"]+/)"', response.content.decode()
    )
    assert match, "the new link's URL is shown"
    return match.group(1).removeprefix("http://testserver")


def test_a_share_link_shows_the_licence_verified_with_the_id_number_masked(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    holder = login_as(Client(), lcast.citizen)
    url = _share(holder, licence, hours=1)
    html = page(Client(), url)
    number = decrypt_id_number(lcast.citizen.person)
    assert number not in html
    assert mask_id_number(number, Audience.STAFF) in html
    assert "证照真实有效" in html and "alert--success" in html
    assert "示范小吃店" in html
    assert licence.share_links.get().opened_count == 1


def test_the_share_url_is_shown_once_and_the_link_can_be_revoked(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    holder = login_as(Client(), lcast.citizen)
    url = _share(holder, licence)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    listing = page(holder, detail_url(licence))
    assert token not in listing and "撤回" in listing
    link = licence.share_links.get()
    stranger = login_as(Client(), lcast.base.other_citizen)
    refused = stranger.post(f"{detail_url(licence)}share-links/{link.pk}/revoke/")
    assert refused.status_code == 404
    assert page(Client(), url)
    revoked = holder.post(f"{detail_url(licence)}share-links/{link.pk}/revoke/")
    assert revoked.status_code == 302
    assert Client().get(url).status_code == 404


def test_an_expired_or_unknown_share_link_answers_404(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    url = _share(login_as(Client(), lcast.citizen), licence, hours=1)
    licence.share_links.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Client().get(url).status_code == 404
    assert Client().get("/licences/shared/not-a-token/").status_code == 404


def test_only_the_holder_shares(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    officer = login_as(Client(), lcast.officer_a)
    assert officer.post(f"{detail_url(licence)}share-links/", {"hours": "24"}).status_code == 403
    stranger = login_as(Client(), lcast.base.other_citizen)
    assert stranger.post(f"{detail_url(licence)}share-links/", {"hours": "24"}).status_code == 404
    assert not licence.share_links.exists()


# --- status changes ------------------------------------------------------------------------------


def test_the_issuing_officer_revokes_with_a_reason_and_verification_follows(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    officer = login_as(Client(), lcast.officer_a)
    url = f"{detail_url(licence)}status/"
    no_reason = officer.post(url, {"action": "revoke", "reason": ""})
    assert no_reason.status_code == 302
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.VALID
    done = officer.post(url, {"action": "revoke", "reason": "申请材料虚假"})
    assert done.status_code == 302
    licence.refresh_from_db()
    assert (licence.status, licence.status_reason) == ("revoked", "申请材料虚假")
    html = page(Client(), qr_url(licence))
    assert "已撤销或失效" in html and "alert--warning" in html


def test_neither_the_holder_nor_the_officer_of_another_department_changes_the_status(
    lcast: LicenceCast,
):
    licence = issue_to_citizen(lcast)
    url = f"{detail_url(licence)}status/"
    holder = login_as(Client(), lcast.citizen)
    assert holder.post(url, {"action": "revoke", "reason": "不想要了"}).status_code == 403
    other = login_as(Client(), lcast.officer_b)
    assert other.post(url, {"action": "revoke", "reason": "越权"}).status_code == 404
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.VALID


# --- public verification -------------------------------------------------------------------------


def test_the_qr_link_shows_a_valid_licence_in_green_without_the_id_number(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    html = page(Client(), qr_url(licence))
    assert "alert--success" in html and "证照真实有效" in html
    assert licence.licence_id in html and lcast.dept_a.name in html
    person = lcast.citizen.person
    assert person.name not in html and decrypt_id_number(person) not in html


def test_an_expired_licence_is_amber(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    expire(licence)
    html = page(Client(), qr_url(licence))
    assert "alert--warning" in html and "已过期" in html


def test_a_wrong_qr_digest_is_red_as_tampered(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    wrong = ("0" if licence.digest_short[0] != "0" else "1") + licence.digest_short[1:]
    html = page(Client(), qr_url(licence, wrong))
    assert "alert--danger" in html and "已被篡改" in html


def test_an_unknown_licence_is_red_and_shows_no_licence(lcast: LicenceCast):
    from yiwang.core.identifiers import make_licence_id

    unknown = make_licence_id(lcast.person_type.code, lcast.dept_a.uscc, "19990101001", 1)
    html = page(Client(), f"/licences/verify/{unknown}/")
    assert "alert--danger" in html and "无法识别" in html and "本平台没有签发该证照" in html


def test_a_malformed_id_gives_the_form_back_with_the_error(lcast: LicenceCast):
    html = page(Client(), "/licences/verify/not-a-licence/", status=422)
    assert "电子证照标识格式不正确" in html and 'name="licence_id"' in html
    typed = Client().post("/licences/verify/", {"licence_id": "1.2.156.3005.2.X"})
    assert typed.status_code == 422 and "电子证照标识格式不正确" in typed.content.decode()


def test_a_typed_id_is_verified(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    response = Client().post("/licences/verify/", {"licence_id": f"  {licence.licence_id} "})
    assert response.status_code == 200 and "证照真实有效" in response.content.decode()


def test_an_uploaded_json_form_with_changed_content_is_tampered(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    form = selectors.json_form_of(licence)
    form["document"]["content"]["shop_name"] = "冒名小吃店"
    upload = SimpleUploadedFile("licence.json", json.dumps(form).encode(), "application/json")
    html = Client().post("/licences/verify/", {"file": upload}).content.decode()
    assert "alert--danger" in html and "签名验证失败" in html


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.json", b"{not json", "不是有效的电子证照 JSON"),
        ("x.json", b'{"document": {}, "signature": "AA=="}', "不是有效的电子证照 JSON"),
        ("x.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "未找到签名数据"),
    ],
)
def test_a_malformed_upload_gives_the_form_back_never_a_500(lcast, name, data, message):
    response = Client().post("/licences/verify/", {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 422
    assert message in response.content.decode()


def test_the_form_needs_an_id_or_a_file(lcast: LicenceCast):
    response = Client().post("/licences/verify/", {})
    assert response.status_code == 422
    assert "请输入证照标识，或上传证照文件" in response.content.decode()


def test_the_upload_form_is_csrf_protected(lcast: LicenceCast):
    client = Client(enforce_csrf_checks=True)
    assert 'name="csrfmiddlewaretoken"' in page(client, "/licences/verify/")
    upload = SimpleUploadedFile("x.json", b"{}", "application/json")
    assert client.post("/licences/verify/", {"file": upload}).status_code == 403


# --- key directory -------------------------------------------------------------------------------


def test_the_key_directory_lists_active_and_retired_keys_and_serves_pem(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    old = licence.key
    new = keys.rotate_key(lcast.dept_a, reason="年度轮换")
    html = page(Client(), "/licences/keys/")
    assert old.key_id in html and new.key_id in html and old.public_hex in html
    assert "已停用" in html and "使用中" in html
    response = Client().get(f"/licences/keys/{old.key_id}.pem")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response.content.decode() == keys.public_pem(old.public_hex)
    assert Client().get("/licences/keys/0123456789abcdef.pem").status_code == 404


# --- staff: the department's licences and issuance by hand ---------------------------------------


def test_the_officer_lists_his_departments_licences_and_filters_them(lcast: LicenceCast):
    valid = issue_to_citizen(lcast)
    revoked = issue_to_citizen(lcast)
    services.change_status(lcast.officer_a, revoked, "revoke", "签发错误")
    officer = login_as(Client(), lcast.officer_a)
    everything = page(officer, "/licences/manage/")
    assert valid.licence_id in everything and revoked.licence_id in everything
    filtered = page(officer, "/licences/manage/?status=revoked")
    assert revoked.licence_id in filtered and valid.licence_id not in filtered
    other = page(login_as(Client(), lcast.officer_b), "/licences/manage/")
    assert valid.licence_id not in other
    assert login_as(Client(), lcast.citizen).get("/licences/manage/").status_code == 404


def test_the_officer_issues_by_hand_choosing_the_type_first(lcast: LicenceCast):
    officer = login_as(Client(), lcast.officer_a)
    chooser = page(officer, "/licences/manage/issue/")
    assert lcast.person_type.name in chooser and 'name="holder_id"' not in chooser
    form = page(officer, f"/licences/manage/issue/?type={lcast.person_type.code}")
    assert 'name="content_shop_name"' in form and 'name="holder_id"' in form
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', form).group(1)
    data = {
        "type": lcast.person_type.code,
        "form_token": token,
        "holder_id": decrypt_id_number(lcast.citizen.person),
        "issuer": str(lcast.dept_a.pk),
        "content_holder_name": lcast.citizen.person.name,
        "content_shop_name": "湖滨小馆",
        "content_start_date": "2026-03-01",
    }
    first = officer.post("/licences/manage/issue/", data)
    again = officer.post("/licences/manage/issue/", data)  # a double click
    assert first.status_code == again.status_code == 302
    licence = Licence.objects.get()
    assert first["Location"] == again["Location"] == detail_url(licence)
    assert (licence.issuer, licence.holder_person, licence.issued_by) == (
        lcast.dept_a,
        lcast.citizen.person,
        lcast.officer_a,
    )
    assert selectors.document_of(licence)["content"]["shop_name"] == "湖滨小馆"


def test_issuance_errors_come_back_on_the_form(lcast: LicenceCast):
    officer = login_as(Client(), lcast.officer_a)
    data = {
        "type": lcast.person_type.code,
        "form_token": "t1",
        "holder_id": "11010519491231002X",  # valid, but nobody here has it
        "issuer": str(lcast.dept_a.pk),
        "content_holder_name": "某人",
        "content_shop_name": "",
    }
    response = officer.post("/licences/manage/issue/", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'href="#id_content_shop_name"' in html  # the error summary links to the field
    assert 'value="某人"' in html  # what was typed stays
    data.update(form_token="t2", content_shop_name="小店")
    html = officer.post("/licences/manage/issue/", data).content.decode()
    assert "未找到该身份证号对应的人员" in html
    assert not Licence.objects.exists()


def test_an_officer_cannot_issue_in_the_name_of_another_department(lcast: LicenceCast):
    officer_b = login_as(Client(), lcast.officer_b)
    data = {
        "type": lcast.person_type.code,
        "form_token": "t3",
        "holder_id": decrypt_id_number(lcast.citizen.person),
        "issuer": str(lcast.dept_a.pk),
        "content_holder_name": "某人",
        "content_shop_name": "小店",
    }
    response = officer_b.post("/licences/manage/issue/", data)
    assert response.status_code == 422  # dept A is not among his choices
    assert not Licence.objects.exists()


def test_citizens_and_staff_without_the_role_cannot_issue(lcast: LicenceCast):
    for user in (lcast.citizen, lcast.base.reviewer_a):
        assert login_as(Client(), user).get("/licences/manage/issue/").status_code == 403


# --- navigation ----------------------------------------------------------------------------------


def test_the_navigation_offers_the_wallet_verification_and_the_staff_desk(lcast: LicenceCast):
    from django.contrib.auth.models import AnonymousUser

    assert "verify_licence" in build_navigation(AnonymousUser()).keys
    citizen = build_navigation(lcast.citizen).keys
    assert {"my_licences", "verify_licence"} <= set(citizen) and "licence_desk" not in citizen
    assert "licence_desk" in build_navigation(lcast.officer_a).keys
    assert "licence_desk" not in build_navigation(lcast.base.reviewer_a).keys


def test_an_unknown_type_sends_the_officer_back_to_the_type_choice(lcast: LicenceCast):
    officer = login_as(Client(), lcast.officer_a)
    html = page(officer, "/licences/manage/issue/?type=NOPE", status=422)
    assert "没有该证照类型，或已停用。" in html and 'name="holder_id"' not in html


# --- 一证通办 for clerks -------------------------------------------------------------------------


def _case_of(lcast):
    from yiwang.cases.services import submit_online
    from yiwang.cases.tests.factories import all_materials, full_form

    return submit_online(
        lcast.citizen, lcast.base.item, form=full_form(), materials=all_materials()
    )


def test_a_reviewer_fetches_the_applicants_licences_for_his_case_and_the_use_is_recorded(lcast):
    from yiwang.licences.models import LicenceUse

    licence = issue_to_citizen(lcast)
    case = _case_of(lcast)
    client = login_as(Client(), lcast.base.reviewer_a)
    url = f"/licences/cases/{case.number}/"
    page = client.get(url)
    assert page.status_code == 200 and "申请事由" in page.content.decode()
    assert not LicenceUse.objects.exists()  # opening the form reads nothing
    answer = client.post(url, {"party": "applicant", "purpose": "核验经营资格"})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert licence.licence_id in html and "示范小吃店" in html
    use = LicenceUse.objects.get(licence=licence)
    assert use.case == case and use.purpose.startswith("核验经营资格")
    assert use.actor == lcast.base.reviewer_a


def test_the_clerk_page_needs_a_purpose_and_refuses_other_departments(lcast):
    from yiwang.licences.models import LicenceUse

    issue_to_citizen(lcast)
    case = _case_of(lcast)
    url = f"/licences/cases/{case.number}/"
    empty = login_as(Client(), lcast.base.reviewer_a).post(
        url, {"party": "applicant", "purpose": " "}
    )
    assert empty.status_code == 422
    other = login_as(Client(), lcast.base.reviewer_b)
    assert other.get(url).status_code == 403
    assert other.post(url, {"party": "applicant", "purpose": "看看"}).status_code == 403
    assert login_as(Client(), lcast.citizen).get(url).status_code in (403, 404)
    assert not LicenceUse.objects.exists()
