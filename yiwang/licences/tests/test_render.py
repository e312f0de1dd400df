"""The printable licence (版式文件): what the PDF shows, its QR code, the attached JSON form, the
file made once, and verification of presented PDFs (genuine, altered, forged, foreign, revoked).

Rendering costs a few hundred milliseconds, so every test renders at most two PDFs and reuses
them within the test (each test has its own database, hence its own licences and keys)."""

from __future__ import annotations

import io
import json
import random

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from yiwang.core.crypto import sm3_hex
from yiwang.core.errors import ServiceUnavailable, ValidationFailed
from yiwang.core.models.ledger import LedgerEntry
from yiwang.licences import render, selectors, services, verification
from yiwang.licences.models import Licence
from yiwang.licences.tests.factories import issue_to_citizen, issue_to_enterprise


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _compact(text: str) -> str:
    return "".join(text.split())


def _qr_codes(pdf: bytes) -> list[tuple[str, str]]:
    """(text, error correction level) of every QR code found on page 1, rasterised at 216 dpi."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    return [(found.text, found.ec_level) for found in zxingcpp.read_barcodes(image)]


def _attached(pdf: bytes) -> dict:
    return json.loads(render.extract_json_form(pdf).decode("utf-8"))


def _pdf_with_attachment(data: bytes, name: str = "licence.json") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_made_entries(licence: Licence) -> int:
    return LedgerEntry.objects.filter(
        action="licences.pdf_made", object_id=licence.licence_id
    ).count()


# --- what the PDF shows ---------------------------------------------------------------------------


def test_the_pdf_shows_the_licence_in_real_chinese_text(lcast):
    licence = issue_to_citizen(lcast, start_date="2026-01-05")
    pdf = render.render_pdf(licence)

    text = _compact(_text(pdf))
    document = selectors.document_of(licence)
    assert lcast.person_type.name in text
    assert licence.holder_name in text
    assert document["holder"]["id"] in text  # the holder's own credential: the ID in full
    assert "示范小吃店" in text
    assert "2026年1月5日" in text  # a date field, written the Chinese way
    assert lcast.dept_a.name in text
    assert licence.licence_id in text
    assert licence.digest_short in text
    assert "扫码核验" in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


def test_the_qr_code_opens_the_verification_page_of_the_licence(lcast, settings):
    settings.YIWANG_PUBLIC_URL = "https://zwfw.example.gov.cn"
    licence = issue_to_citizen(lcast)
    pdf = render.render_pdf(licence, seal=False)

    url = render.verification_url(licence)
    assert url == (
        f"https://zwfw.example.gov.cn/licences/verify/{licence.licence_id}/"
        f"?d={licence.digest_short}"
    )
    assert _qr_codes(pdf) == [(url, "M")]
    # Without the seal the seal's label is gone, the rest stays.
    text = _compact(_text(pdf))
    assert "电子证照专用章" not in text
    assert lcast.dept_a.name in text


def test_the_verification_url_falls_back_to_the_local_address(lcast, settings):
    licence = issue_to_citizen(lcast)
    settings.YIWANG_PUBLIC_URL = ""
    assert render.verification_url(licence).startswith(
        f"http://127.0.0.1:8000/licences/verify/{licence.licence_id}/?d="
    )
    assert render.verification_url(licence, base="https://a.example/").startswith(
        "https://a.example/licences/verify/"
    )


def test_an_enterprise_licence_without_end_date_shows_its_uscc_and_long_term_validity(lcast):
    licence = issue_to_enterprise(lcast)
    pdf = render.render_pdf(licence)

    text = _compact(_text(pdf))
    assert lcast.enterprise.name in text
    assert lcast.enterprise.uscc in text
    assert "统一社会信用代码" in text
    assert "食品销售" in text
    assert "长期" in text
    assert "电子证照专用章" in text  # the seal is there by default


def test_the_seal_draws_the_department_name_a_star_and_its_label():
    svg = render.seal_svg("西湖区市场监督管理局")

    assert svg == render.seal_svg("西湖区市场监督管理局")  # deterministic
    assert svg != render.seal_svg("西湖区公安分局")
    assert "电子证照专用章" in svg
    assert "<polygon" in svg
    assert [c for c in "西湖区市场监督管理局" if f">{c}</text>" not in svg] == []
    assert "&lt;script&gt;" in render.seal_svg("<script>")  # names are escaped


# --- the attached JSON form and the file made once ------------------------------------------------


def test_the_pdf_carries_the_signed_json_form_and_renders_the_same_bytes_again(lcast):
    licence = issue_to_citizen(lcast)
    first = render.render_pdf(licence)
    second = render.render_pdf(licence)

    assert first == second
    assert _attached(first) == selectors.json_form_of(licence)
    info = PdfReader(io.BytesIO(first)).metadata
    assert info.title == lcast.person_type.name
    assert info.author == lcast.dept_a.name
    assert info.creation_date.replace(microsecond=0) == licence.issued_at.replace(microsecond=0)


def test_the_pdf_is_made_once_and_read_back_afterwards(lcast):
    licence = issue_to_citizen(lcast)
    assert not licence.pdf_sm3

    first = render.pdf_for(licence)
    stored = Licence.objects.get(pk=licence.pk)
    assert stored.pdf_sm3 == sm3_hex(first)
    assert stored.pdf.name == f"licences/{licence.licence_id}.pdf"
    assert licence.pdf_sm3 == stored.pdf_sm3  # the caller's object is brought up to date

    again = render.pdf_for(Licence.objects.get(pk=licence.pk))
    after = Licence.objects.get(pk=licence.pk)
    assert again == first
    assert (after.pdf.name, after.pdf_sm3) == (stored.pdf.name, stored.pdf_sm3)
    assert _pdf_made_entries(licence) == 1


def test_a_lost_pdf_is_an_error_and_is_not_made_again(lcast):
    licence = issue_to_citizen(lcast)
    render.pdf_for(licence)
    stored = Licence.objects.get(pk=licence.pk)
    stored.pdf.storage.delete(stored.pdf.name)

    with pytest.raises(ServiceUnavailable) as caught:
        render.pdf_for(stored)
    assert caught.value.code == "licence_pdf_unavailable"
    after = Licence.objects.get(pk=licence.pk)
    assert (after.pdf.name, after.pdf_sm3) == (stored.pdf.name, stored.pdf_sm3)
    assert _pdf_made_entries(licence) == 1


# --- verification of presented PDFs ---------------------------------------------------------------


def test_the_stored_pdf_verifies_and_an_altered_copy_does_not(lcast):
    licence = issue_to_citizen(lcast)
    pdf = render.pdf_for(licence)

    verdict = verification.verify_pdf(pdf)
    assert (verdict.result, verdict.reason) == ("valid", "ok")
    assert "file" in verdict.checked

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Title": "伪造的证照"})
    out = io.BytesIO()
    writer.write(out)
    altered = out.getvalue()
    assert render.extract_json_form(altered) == render.extract_json_form(pdf)
    verdict = verification.verify_pdf(altered)
    assert (verdict.result, verdict.reason) == ("tampered", "pdf_altered")

    form = _attached(pdf)
    form["document"]["holder"]["name"] = "冒名者"
    forged = _pdf_with_attachment(json.dumps(form, ensure_ascii=False).encode("utf-8"))
    verdict = verification.verify_pdf(forged)
    assert (verdict.result, verdict.reason) == ("tampered", "bad_signature")


def test_a_revoked_licence_s_pdf_verifies_as_revoked(lcast):
    licence = issue_to_citizen(lcast)
    pdf = render.pdf_for(licence)

    services.change_status(lcast.officer_a, licence, "revoke", "申请人以欺骗手段取得")

    verdict = verification.verify_pdf(pdf)
    assert (verdict.result, verdict.reason) == ("revoked", "status_revoked")


def test_a_pdf_without_the_licence_attached_is_refused(db):
    plain = PdfWriter()
    plain.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    plain.write(out)

    with pytest.raises(ValidationFailed) as caught:
        verification.verify_pdf(out.getvalue())
    assert caught.value.code == "no_licence_in_pdf"

    other_name = _pdf_with_attachment(b'{"document": {}}', name="invoice.json")
    with pytest.raises(ValidationFailed) as caught:
        verification.verify_pdf(other_name)
    assert caught.value.code == "no_licence_in_pdf"


def test_random_bytes_that_claim_to_be_a_pdf_are_refused(db):
    rng = random.Random(36904)
    for _ in range(20):
        junk = b"%PDF-1.7\n" + rng.randbytes(rng.randint(0, 4000))
        with pytest.raises(ValidationFailed) as caught:
            verification.verify_pdf(junk)
        assert caught.value.code == "no_licence_in_pdf"


# --- hostile files ---------------------------------------------------------------------------------


def test_extraction_gives_nothing_for_hostile_or_foreign_input():
    payload = b'{"document": {}, "signature": ""}'
    good = _pdf_with_attachment(payload)
    assert render.extract_json_form(good) == payload

    assert render.extract_json_form(b"") is None
    assert render.extract_json_form(b"not a pdf at all") is None
    assert render.extract_json_form(good[: len(good) // 2]) is None  # truncated
    assert render.extract_json_form(good.replace(b"/EmbeddedFiles", b"/EmbeddedFilez")) is None

    encrypted = PdfWriter(clone_from=PdfReader(io.BytesIO(good)))
    encrypted.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    encrypted.write(out)
    assert render.extract_json_form(out.getvalue()) is None


def test_extraction_refuses_an_attachment_over_one_megabyte_even_when_compressed():
    big = b" " * (render.ATTACHMENT_MAX_BYTES + 1)
    assert render.extract_json_form(_pdf_with_attachment(big)) is None

    # A flate bomb: a few kilobytes that inflate to 16 MB.
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf_with_attachment(b"{}"))))
    names = writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    ef = names[1].get_object()["/EF"]
    bomb = DecodedStreamObject()
    bomb.set_data(b" " * (16 * 1024 * 1024))
    bomb[NameObject("/Type")] = NameObject("/EmbeddedFile")
    ef[NameObject("/F")] = writer._add_object(bomb.flate_encode())
    out = io.BytesIO()
    writer.write(out)
    assert len(out.getvalue()) < 200_000
    inflated = PdfReader(io.BytesIO(out.getvalue())).attachments["licence.json"][0]
    assert len(inflated) == 16 * 1024 * 1024  # a well-formed bomb: only the cap stops it
    assert render.extract_json_form(out.getvalue()) is None

    at_limit = b" " * render.ATTACHMENT_MAX_BYTES
    assert render.extract_json_form(_pdf_with_attachment(at_limit)) == at_limit


@pytest.mark.django_db
def test_every_demo_type_fits_on_one_page_with_its_qr_code_readable(lcast):
    """A certificate with every field filled stays one A4 page, so the QR code is on page 1."""
    import pypdfium2
    import zxingcpp

    from yiwang.licences import demo
    from yiwang.licences.models import HolderKind, LicenceType

    demo.seed_types()
    types = sorted(
        LicenceType.objects.filter(key__in=[t.key for t in demo.TYPES]),
        key=lambda t: -len(t.fields),
    )
    assert len(types) >= 7
    for licence_type in types[:3]:  # the three longest
        content = {
            f["key"]: "2026-11-10" if f.get("type") == "date" else "示范市东湖区湖滨街道示范路88号"
            for f in licence_type.fields
        }
        enterprise = licence_type.holder_kind == HolderKind.ENTERPRISE
        licence = services.issue(
            licence_type=licence_type,
            issuer=lcast.dept_a,
            content=content,
            holder_person=None if enterprise else lcast.citizen.person,
            holder_enterprise=lcast.enterprise if enterprise else None,
        )
        document = pypdfium2.PdfDocument(render.render_pdf(licence))
        assert len(document) == 1, f"{licence_type.name}: {len(document)} pages"
        image = document[0].render(scale=200 / 72).to_pil()
        assert [b.text for b in zxingcpp.read_barcodes(image)] == [render.verification_url(licence)]
        document.close()
