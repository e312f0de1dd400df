"""Uploaded files are hostile: the content decides the type, and bombs, disguises and tricks fail.

Every file here is made by the test itself: real minimal PDF, PNG, JPEG, OFD, DOCX and XLSX files,
and their hostile twins.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zipfile
import zlib

import openpyxl
import pytest
from django.core.files.uploadedfile import (
    InMemoryUploadedFile,
    SimpleUploadedFile,
    TemporaryUploadedFile,
    UploadedFile,
)

from yiwang.core.crypto import sm3_hex
from yiwang.core.errors import ValidationFailed
from yiwang.core.uploads import (
    DEFAULT_MAX_BYTES,
    MIB,
    ZIP_MAX_ENTRIES,
    CheckedUpload,
    check_upload,
    sanitize_filename,
)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- real minimal files -------------------------------------------------------------------------


def make_pdf(body: bytes = b"") -> bytes:
    objects = [
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n",
    ]
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for obj in objects:
        offsets.append(len(out))
        out += obj
    out += body
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return out


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(width: int = 2, height: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def make_jpeg() -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def make_zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES_DOCX = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
CONTENT_TYPES_XLSX = CONTENT_TYPES_DOCX.replace(b"/word/document.xml", b"/xl/workbook.xml").replace(
    b"wordprocessingml.document.main+xml", b"spreadsheetml.sheet.main+xml"
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def docx_entries(**extra: bytes) -> dict[str, bytes]:
    entries = {
        "[Content_Types].xml": CONTENT_TYPES_DOCX,
        "_rels/.rels": RELS,
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats'
            '.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>申请书</w:t></w:r></w:p>'
            "</w:body></w:document>"
        ).encode(),
    }
    entries.update(extra)
    return entries


def make_docx(**extra: bytes) -> bytes:
    return make_zip(docx_entries(**extra))


def make_xlsx_by_hand() -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": CONTENT_TYPES_XLSX,
            "_rels/.rels": RELS.replace(b"word/document.xml", b"xl/workbook.xml"),
            "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats'
            b'.org/spreadsheetml/2006/main"><sheets/></workbook>',
        }
    )


def make_xlsx_with_openpyxl() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["事项名称", "办件量"])
    sheet.append(["新生儿出生一件事", 42])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_ofd() -> bytes:
    return make_zip(
        {
            "OFD.xml": '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec'
            '.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>1</ofd:DocID>'
            "<ofd:Title>营业执照</ofd:Title></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
            "</ofd:DocBody></ofd:OFD>".encode(),
            "Doc_0/Document.xml": b'<?xml version="1.0"?><ofd:Document xmlns:ofd="http://www.ofdspec'
            b'.org/2016"><ofd:CommonData><ofd:MaxUnitID>1</ofd:MaxUnitID></ofd:CommonData>'
            b"</ofd:Document>",
            "Doc_0/Pages/Page_0/Content.xml": b'<?xml version="1.0"?><ofd:Page/>',
        }
    )


def upload(data: bytes, name: str, content_type: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal(data: bytes, name: str, content_type: str = "", **kwargs) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        check_upload(upload(data, name, content_type), **kwargs)
    return caught.value


# --- accepted files ------------------------------------------------------------------------------

GOOD_FILES = [
    ("pdf", make_pdf(), "营业执照.pdf", "application/pdf", "application/pdf"),
    ("png", make_png(), "照片.png", "image/png", "image/png"),
    ("jpeg", make_jpeg(), "照片.JPG", "image/jpeg", "image/jpeg"),
    ("jpeg", make_jpeg(), "photo.jpeg", "image/pjpeg", "image/jpeg"),
    ("ofd", make_ofd(), "电子证照.ofd", "", "application/ofd"),
    ("docx", make_docx(), "申请书.docx", DOCX_TYPE, DOCX_TYPE),
    ("xlsx", make_xlsx_by_hand(), "清单.xlsx", XLSX_TYPE, XLSX_TYPE),
    ("xlsx", make_xlsx_with_openpyxl(), "办件量.xlsx", XLSX_TYPE, XLSX_TYPE),
    (
        "csv",
        "姓名,电话\n张三,13800138000\n".encode(),
        "名单.csv",
        "text/csv",
        "text/csv; charset=utf-8",
    ),
    (
        "csv",
        "\ufeff姓名,电话\r\n".encode(),
        "bom.csv",
        "application/vnd.ms-excel",
        "text/csv; charset=utf-8",
    ),
    (
        "txt",
        "情况说明：已补正。".encode("gb18030"),
        "说明.txt",
        "text/plain",
        "text/plain; charset=gb18030",
    ),
    (
        "txt",
        b"MZ is just two letters here.\n",
        "notes.txt",
        "text/plain",
        "text/plain; charset=utf-8",
    ),
]


@pytest.mark.parametrize(("kind", "data", "name", "declared", "safe_type"), GOOD_FILES)
def test_it_accepts_each_kind_a_government_service_takes(kind, data, name, declared, safe_type):
    checked = check_upload(upload(data, name, declared))

    assert checked == CheckedUpload(
        kind=kind,
        content_type=safe_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        sm3=sm3_hex(data),
        name=sanitize_filename(name),
        encoding=safe_type.partition("charset=")[2] or None,
    )


def test_it_accepts_a_motion_photo_whose_jpeg_is_followed_by_a_video():
    video = b"\x00\x00\x00\x18ftypmp42" + random.Random(3).randbytes(8192)

    assert check_upload(upload(make_jpeg() + video, "动态照片.jpg", "image/jpeg")).kind == "jpeg"


def test_it_accepts_a_file_the_browser_declares_as_octet_stream():
    assert check_upload(upload(make_pdf(), "a.pdf", "application/octet-stream")).kind == "pdf"


def test_it_leaves_the_file_rewound_for_storage():
    data = make_docx()
    file = upload(data, "申请书.docx", DOCX_TYPE)
    file.read(10)

    check_upload(file)

    assert file.read() == data


def test_it_accepts_an_in_memory_and_a_temporary_upload_as_django_hands_them_over():
    data = make_ofd()
    in_memory = InMemoryUploadedFile(
        io.BytesIO(data), "file", "证照.ofd", "application/ofd", len(data), None
    )
    temporary = TemporaryUploadedFile("证照.ofd", "application/ofd", len(data), None)
    temporary.write(data)
    temporary.seek(0)
    try:
        assert check_upload(in_memory).kind == "ofd"
        assert check_upload(temporary).kind == "ofd"
    finally:
        temporary.close()


# --- disguises -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "declared"),
    [
        (make_png(), "证明.pdf", "application/pdf"),  # PNG bytes named .pdf
        (make_png(), "证明.pdf", ""),
        (make_pdf(), "photo.png", "image/png"),
        (make_pdf(), "a.pdf", "image/png"),  # right name, declared type contradicts the content
        (make_docx(), "清单.xlsx", XLSX_TYPE),
        (make_xlsx_by_hand(), "申请书.docx", DOCX_TYPE),
        (make_ofd(), "证照.zip", "application/zip"),
        (b"a,b\n1,2\n", "data.pdf", "application/pdf"),
        (b"plain words\n", "readme", ""),  # no extension at all
        (b"a,b\n1,2\n", "data.csv", "text/html"),
    ],
)
def test_it_rejects_a_file_whose_name_or_declared_type_disagrees_with_its_content(
    data, name, declared
):
    error = refusal(data, name, declared)

    assert error.code == "upload_type_mismatch"
    assert error.status == 422
    assert error.field == "file"
    assert "不符" in error.message


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
ACTIVE_CONTENT = [
    (SVG, "头像.png", "image/png"),
    (SVG, "logo.svg", "image/svg+xml"),
    (b"<SVG/onload=alert(1)>", "x.txt", "text/plain"),
    (b"<html><body><script>alert(document.cookie)</script></body></html>", "说明.txt", ""),
    (b"\xef\xbb\xbf  \n<!DOCTYPE HTML>\n<title>x</title>", "a.txt", "text/plain"),
    (
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
        "a.xhtml.txt",
        "",
    ),
    ("<html>".encode("utf-16"), "utf16.txt", "text/plain"),
    (b"name,comment\nalice,<script>fetch('//evil')</script>\n", "名单.csv", "text/csv"),
    (b"<iframe src=//evil>", "a.csv", "text/csv"),
    (make_png()[:-12] + b"<script>alert(1)</script>" + make_png()[-12:], "polyglot.png", ""),
    (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48) + b"PE\x00\x00",
        "a.pdf",
        "",
    ),
    (b"\x7fELF\x02\x01\x01" + bytes(9), "run.pdf", "application/pdf"),
    (b"#!/bin/sh\nrm -rf /\n", "notes.txt", "text/plain"),
    (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "mac.png", "image/png"),
]


@pytest.mark.parametrize(("data", "name", "declared"), ACTIVE_CONTENT)
def test_it_refuses_active_content_whatever_its_name(data, name, declared):
    error = refusal(data, name, declared)

    assert error.code == "upload_type_refused"
    assert error.status == 422


def test_it_rejects_content_it_does_not_recognise():
    junk = random.Random(20240601).randbytes(4096)

    error = refusal(junk, "附件.txt", "text/plain")

    assert error.code == "upload_type_unsupported"
    assert "PDF" in error.message


@pytest.mark.parametrize(
    "data",
    [
        make_pdf()[: -len(b"%%EOF\n")],  # no trailer
        make_png()[:-12],  # no IEND
        b"\xff\xd8\xff\x00" + bytes(100),  # no valid marker after the start of image
        make_jpeg() + make_zip({"a.txt": b"hidden"}),
        make_jpeg()
        + make_zip({"a.txt": b"hidden"})[:-2]
        + b"\x00\x10"
        + b"c" * 4096,  # long comment
        make_png() + make_zip({"a.txt": b"hidden"}),  # a zip glued to an image
        b"plain text with a NUL\x00 inside",
        b"text with an escape \x1b[31m",
        make_zip({"readme.txt": b"just a zip"}),
    ],
)
def test_it_rejects_truncated_files_and_polyglots(data):
    assert refusal(data, "x.png").code == "upload_type_unsupported"


def test_it_refuses_a_kind_the_field_does_not_accept_and_names_the_field():
    with pytest.raises(ValidationFailed) as caught:
        check_upload(
            upload(make_png(), "a.png", "image/png"), allowed={"pdf", "ofd"}, field="licence"
        )

    assert caught.value.code == "upload_type_not_allowed"
    assert caught.value.field == "licence"
    assert "OFD、PDF" in caught.value.message


def test_it_rejects_an_unknown_kind_in_the_allow_list_as_a_programming_error():
    with pytest.raises(ValueError):
        check_upload(upload(make_pdf(), "a.pdf"), allowed={"exe"})


# --- size ----------------------------------------------------------------------------------------


class EndlessPdf(io.RawIOBase):
    """A PDF header followed by ``size`` zero bytes, produced on demand (nothing is allocated)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.served)
        if n <= 0:
            return 0
        header = b"%PDF-1.7\n"
        chunk = (header + bytes(n))[self.served : self.served + n] if self.served < 9 else bytes(n)
        buffer[:n] = chunk
        self.served += n
        return n


def test_it_stops_reading_an_oversize_file_at_the_limit():
    stream = EndlessPdf(size=10 * 1024 * MIB)  # 10 GiB that never exist in memory
    file = UploadedFile(stream, name="大文件.pdf", content_type="application/pdf")

    with pytest.raises(ValidationFailed) as caught:
        check_upload(file)

    assert caught.value.code == "upload_too_large"
    assert "20" in caught.value.message
    assert DEFAULT_MAX_BYTES < stream.served <= DEFAULT_MAX_BYTES + 64 * 1024


def test_the_limit_can_be_set_per_call_and_in_settings(settings):
    data = make_pdf(body=b"%" + b"x" * 2000 + b"\n")
    assert check_upload(upload(data, "a.pdf"), max_bytes=len(data)).size == len(data)
    assert refusal(data, "a.pdf", max_bytes=len(data) - 1).code == "upload_too_large"

    settings.YIWANG_UPLOAD_MAX_BYTES = 1000
    assert refusal(data, "a.pdf").code == "upload_too_large"


def test_it_rejects_an_empty_file():
    error = refusal(b"", "空.pdf", "application/pdf")

    assert error.code == "upload_empty"
    assert error.field == "file"


# --- archives ------------------------------------------------------------------------------------


def archive_refusal(data: bytes, name: str = "x.docx") -> ValidationFailed:
    error = refusal(data, name)
    assert error.code == "upload_archive_rejected", error
    return error


def test_it_rejects_a_zip_bomb_before_unpacking_it():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        for name, data in docx_entries().items():
            bomb.writestr(name, data)
        with bomb.open("word/media/image1.png", "w") as entry:
            zeros = bytes(MIB)
            for _ in range(101):  # 101 MiB of zeros: about 450 KiB once compressed
                entry.write(zeros)
    data = buffer.getvalue()
    assert len(data) < MIB

    error = archive_refusal(data)

    assert error.details["reason"] in {"too_large_uncompressed", "compression_ratio"}


def test_it_rejects_an_entry_compressed_more_than_a_hundred_to_one():
    error = archive_refusal(make_docx(**{"word/media/blank.bmp": bytes(2 * MIB)}))

    assert error.details["reason"] == "compression_ratio"


def test_it_accepts_big_entries_that_compress_normally():
    noise = random.Random(7).randbytes(2 * MIB)

    assert (
        check_upload(upload(make_docx(**{"word/media/photo.jpg": noise}), "a.docx")).kind == "docx"
    )


def test_it_rejects_a_zip_with_too_many_entries():
    entries = docx_entries(**{f"word/part{i}.xml": b"<x/>" for i in range(ZIP_MAX_ENTRIES)})

    assert archive_refusal(make_zip(entries)).details["reason"] == "too_many_entries"


@pytest.mark.parametrize(
    "evil_name",
    ["../evil.xml", "word/../../evil.xml", "/etc/passwd", "C:\\Windows\\evil.dll", "..\\evil.xml"],
)
def test_it_rejects_entry_names_that_escape_the_folder(evil_name):
    error = archive_refusal(make_zip(docx_entries(**{evil_name: b"<x/>"})))

    assert error.details["reason"] == "entry_name"


def test_it_rejects_a_symlink_entry():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in docx_entries().items():
            archive.writestr(name, data)
        link = zipfile.ZipInfo("word/link.xml")
        link.external_attr = (0o120777) << 16
        archive.writestr(link, "/etc/passwd")

    assert archive_refusal(buffer.getvalue()).details["reason"] == "symlink"


def _set_encrypted_flag(data: bytes) -> bytes:
    patched = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = patched.find(signature)
        while at >= 0:
            patched[at + flag_offset] |= 0x01
            at = patched.find(signature, at + 4)
    return bytes(patched)


def test_it_rejects_an_encrypted_zip():
    error = archive_refusal(_set_encrypted_flag(make_docx()))

    assert error.details["reason"] == "encrypted"


@pytest.mark.parametrize(
    "extra",
    [
        {"word/embeddings/book.xlsx": make_xlsx_by_hand()},  # named like an archive
        {"word/media/image1.png": make_zip({"a.txt": b"x"})},  # an archive named like an image
        {"word/media/image2.png": b"\x1f\x8b\x08\x00" + bytes(16)},  # gzip
        {"word/embeddings/oleObject1.dat": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)},
    ],
)
def test_it_rejects_archives_and_embedded_objects_inside_a_document(extra):
    assert archive_refusal(make_docx(**extra)).details["reason"] == "nested_archive"


def test_it_refuses_office_macros():
    with_macro = make_docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(60)})
    macro_enabled = make_zip(
        docx_entries(
            **{
                "[Content_Types].xml": CONTENT_TYPES_DOCX.replace(
                    b"wordprocessingml.document.main+xml", b"macroEnabled.main+xml"
                )
            }
        )
    )

    assert refusal(with_macro, "a.docx").code == "upload_type_refused"
    assert refusal(macro_enabled, "a.docx").code == "upload_type_refused"


def test_it_rejects_duplicate_entry_names():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in docx_entries().items():
            archive.writestr(name, data)
        with pytest.warns(UserWarning):
            archive.writestr("word/document.xml", b"<evil/>")

    assert archive_refusal(buffer.getvalue()).details["reason"] == "duplicate_entry"


def test_it_rejects_a_damaged_zip():
    data = make_zip(docx_entries(), compression=zipfile.ZIP_STORED)
    at = data.find("申请书".encode())
    corrupted = data[:at] + b"X" + data[at + 1 :]  # the CRC no longer matches

    assert archive_refusal(corrupted).details["reason"] == "damaged"
    assert archive_refusal(data[: len(data) // 2]).details["reason"] == "damaged"


def test_it_rejects_an_unusual_compression_method():
    entries = docx_entries()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_BZIP2) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)

    assert archive_refusal(buffer.getvalue()).details["reason"] == "compression_method"


# --- file names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("新生儿 出生医学证明.jpg", "新生儿 出生医学证明.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\身份证.PDF", "身份证.pdf"),
        ("..／..／secret.pdf", "secret.pdf"),  # full-width solidus
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # RTL override: looks like invoiceexe.pdf
        ("营业\u2066执照\u2069\u200b.pdf", "营业执照.pdf"),
        ("a\x00b\x1f\x7f.pdf", "ab.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("com1", "_com1"),
        ("lpt9.txt.pdf", "_lpt9.txt.pdf"),
        ('x<y>z:"|?*.pdf', "x_y_z_____.pdf"),
        ("  ..hidden.pdf. ", "hidden.pdf"),
        ("-rf.txt", "rf.txt"),
        ("line\nbreak\u2028.txt", "linebreak.txt"),
        ("", "upload"),
        (".pdf", "upload.pdf"),
        ("////", "upload"),
        (None, "upload"),
        (42, "upload"),
    ],
)
def test_it_sanitises_hostile_file_names(given, expected):
    assert sanitize_filename(given) == expected


def test_it_shortens_long_names_but_keeps_the_extension_and_whole_characters():
    name = sanitize_filename("营业执照副本" * 100 + ".pdf")

    assert name.endswith(".pdf")
    assert name.startswith("营业执照副本")
    assert len(name.encode()) <= 200
    name.encode().decode("utf-8")  # no split character


def test_the_checked_upload_carries_the_sanitised_name():
    checked = check_upload(upload(make_pdf(), "材料/../\u202e营业执照.PDF", "application/pdf"))

    assert checked.name == "营业执照.pdf"
