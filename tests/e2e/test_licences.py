"""Journeys of e-licences (电子证照): the 新生儿出生一件事 ends with signed licences in 张伟's wallet;
the QR code scanned from the downloaded PDF opens the verification page showing valid; a tampered
copy shows tampered; a shared link works until the holder withdraws it; the issuing department
revokes a licence and every verification says so."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader, PdfWriter

from tests.e2e.conftest import Authenticator
from tests.e2e.pages import Visitor
from tests.e2e.test_one_thing import REVIEWERS, review_member, submit_the_newborn_bundle
from yiwang.accounts.demo import DEMO_PASSWORD

# 出生医学证明 (卫健委), 居民户口簿 (公安), 社会保障卡 (人社); 医保参保 issues none.
NEWBORN_LICENCES = ("出生医学证明", "居民户口簿", "社会保障卡")


@pytest.fixture(autouse=True)
def _qr_codes_point_at_the_test_server(settings: Any, demo_site: Any) -> None:
    """The deployment's public address (printed in QR codes) is the live server's."""
    settings.YIWANG_PUBLIC_URL = demo_site.url


def download(visitor: Visitor, link_name: str) -> bytes:
    with visitor.page.expect_download() as info:
        visitor.main.get_by_role("link", name=link_name).click()
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


def scan_qr(pdf: bytes) -> str:
    """Photograph page 1 (render it at 200 dpi) and read its QR code, as a phone would."""
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=200 / 72).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    return found[0].text


def verify_by_upload(visitor: Visitor, name: str, content: bytes, mime: str) -> str:
    visitor.visit("/licences/verify/")
    visitor.main.get_by_label("或上传证照文件").set_input_files(
        {"name": name, "mimeType": mime, "buffer": content}
    )
    visitor.click_through(visitor.main.get_by_role("button", name="核验"))
    return verdict(visitor)


def verdict(visitor: Visitor) -> str:
    title = visitor.main.locator("#verdict-title").inner_text().strip()
    return title.removeprefix("核验结果：")


def zhangwei_gets_his_newborn_licences(
    visitor: Visitor, open_visitor: Callable[..., Visitor], authenticator: Authenticator
) -> str:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    number = submit_the_newborn_bundle(visitor)
    members = visitor.main.locator("section.card", has_text="成员事项").locator("li")
    numbers = {
        name: members.filter(has_text=name).get_by_role("link").inner_text().strip()
        for name in REVIEWERS
    }
    for item_name, username in REVIEWERS.items():
        review_member(open_visitor, authenticator, username, item_name, numbers[item_name])
    return number


def open_licence(visitor: Visitor, type_name: str) -> str:
    """Open the newest licence of ``type_name`` from 我的证照; returns its id."""
    visitor.visit("/licences/")
    row = visitor.main.locator("tbody tr").filter(has_text=type_name).first
    licence_id = row.locator(".muted").first.inner_text().strip()
    visitor.click_through(row.get_by_role("link", name=type_name))
    assert visitor.heading() == type_name
    return licence_id


def test_the_newborn_bundle_ends_with_signed_licences_that_verify_from_the_qr_code(
    visitor: Visitor,
    open_visitor: Callable[..., Visitor],
    authenticator: Authenticator,
    demo_site: Any,
) -> None:
    zhangwei_gets_his_newborn_licences(visitor, open_visitor, authenticator)

    # The wallet holds the three results, valid.
    visitor.visit("/licences/")
    rows = visitor.main.locator("tbody tr")
    for name in NEWBORN_LICENCES:
        row = rows.filter(has_text=name)
        assert row.count() == 1, f"{name} is not in his wallet: {rows.all_inner_texts()}"
        assert "有效" in row.inner_text()

    # He downloads the 出生医学证明 as a PDF; the child's name is printed on it.
    licence_id = open_licence(visitor, "出生医学证明")
    pdf = download(visitor, "下载 PDF 版式文件")
    assert pdf.startswith(b"%PDF-")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "张小宝" in text and "出生医学证明" in text

    # A stranger scans the QR code with his phone: the verification page says valid.
    url = scan_qr(pdf)
    assert url.startswith(f"{demo_site.url}/licences/verify/{licence_id}/?d=")
    stranger = open_visitor(viewport={"width": 390, "height": 844}, is_mobile=True)
    stranger.page.goto(url)
    stranger.check_page()
    assert verdict(stranger) == "有效"
    page_text = stranger.main.inner_text()
    assert licence_id in page_text
    assert "张伟" not in page_text  # the holder's name is masked for the public (张*)

    # The PDF itself uploaded: valid. A copy edited with a PDF tool: tampered.
    assert verify_by_upload(stranger, "出生医学证明.pdf", pdf, "application/pdf") == "有效"
    edited = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    edited.add_metadata({"/Title": "出生医学证明（已修改）"})
    buffer = io.BytesIO()
    edited.write(buffer)
    assert verify_by_upload(stranger, "改过的.pdf", buffer.getvalue(), "application/pdf") == (
        "已被篡改"
    )

    # The JSON form: valid as downloaded; with the child's name changed, tampered.
    form = json.loads(download(visitor, "下载 JSON 签名数据"))
    original = json.dumps(form, ensure_ascii=False).encode()
    assert verify_by_upload(stranger, "licence.json", original, "application/json") == "有效"
    child_keys = [k for k, v in form["document"]["content"].items() if v == "张小宝"]
    assert child_keys, form["document"]["content"]
    form["document"]["content"][child_keys[0]] = "张大宝"
    forged = json.dumps(form, ensure_ascii=False).encode()
    assert verify_by_upload(stranger, "licence.json", forged, "application/json") == "已被篡改"
    assert "签名验证失败" in stranger.main.inner_text()


def test_a_shared_link_shows_the_licence_until_the_holder_withdraws_it(
    visitor: Visitor, open_visitor: Callable[..., Visitor]
) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    open_licence(visitor, "结婚证")
    visitor.main.get_by_label("有效期").select_option(label="1 天")
    visitor.click_through(visitor.main.get_by_role("button", name="生成分享链接"))
    url = visitor.main.get_by_label("链接地址").input_value()
    assert re.search(r"/licences/shared/[\w-]+/$", url), url

    landlord = open_visitor()
    landlord.page.goto(url)
    landlord.check_page()
    assert verdict(landlord) == "有效"
    assert "结婚证" in landlord.main.inner_text()

    visitor.click_through(visitor.main.get_by_role("link", name="返回证照"))
    visitor.click_through(visitor.main.get_by_role("button", name="撤回"))
    response = landlord.page.goto(url)
    assert response is not None and response.status == 404


def test_the_issuing_department_revokes_a_licence_and_verification_says_so(
    visitor: Visitor, open_visitor: Callable[..., Visitor], authenticator: Authenticator
) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    licence_id = open_licence(visitor, "居住证")  # issued by 市公安局, already past its end
    qr_path = f"/licences/verify/{licence_id}/"
    visitor.visit(qr_path)
    assert verdict(visitor) == "已过期"

    officer = open_visitor()
    officer.sign_in_with_code(
        "approver.ga", DEMO_PASSWORD, lambda: authenticator.code_for("approver.ga")
    )
    officer.visit("/licences/manage/")
    officer.click_through(officer.main.get_by_role("link", name="居住证").first)
    officer.main.get_by_label("操作").select_option(label="撤销")
    officer.main.get_by_label("原因").fill("持证人已迁出本市，依法撤销")
    officer.click_through(officer.main.get_by_role("button", name="确认变更"))
    assert "证照状态已变更为：已撤销。" in " ".join(officer.messages())

    visitor.visit(qr_path)
    assert verdict(visitor) == "已撤销或失效"  # revoked comes before expired
    visitor.visit("/cases/notifications/")
    assert visitor.main.locator("li.card").filter(has_text="已撤销").count() >= 1


def test_a_reviewer_fetches_the_applicants_licences_instead_of_asking_for_paper(
    visitor: Visitor, open_visitor: Callable[..., Visitor], authenticator: Authenticator
) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    submit_the_newborn_bundle(visitor)
    members = visitor.main.locator("section.card", has_text="成员事项").locator("li")
    number = members.filter(has_text="出生登记").get_by_role("link").inner_text().strip()

    reviewer = open_visitor()
    reviewer.sign_in_with_code(
        "reviewer.ga", DEMO_PASSWORD, lambda: authenticator.code_for("reviewer.ga")
    )
    reviewer.visit(f"/cases/{number}/")
    reviewer.click_through(reviewer.main.get_by_role("link", name="一证通办：调取申请人的电子证照"))
    reviewer.main.get_by_label("申请事由").fill("核验父母婚姻状况（出生登记）")
    reviewer.click_through(reviewer.main.get_by_role("button", name="调取电子证照"))
    found = reviewer.main.inner_text()
    assert "结婚证" in found and "李娜" in found  # the content, so no paper copy is needed

    # 张伟 sees who used his licence and why.
    open_licence(visitor, "结婚证")
    assert "核验父母婚姻状况（出生登记）" in visitor.main.inner_text()


def test_anyone_reads_the_public_key_directory(visitor: Visitor) -> None:
    visitor.visit("/licences/keys/")
    assert visitor.main.locator("code").count() >= 1
    assert "示范市民政局" in visitor.main.inner_text()
