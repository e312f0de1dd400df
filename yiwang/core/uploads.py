"""Checks for uploaded files (材料上传): the content decides the type, never the name.

``check_upload`` reads an uploaded file once, as a stream that stops at the size limit, and returns
a ``CheckedUpload`` (kind, safe content type, size, SHA-256 and SM3 digests, sanitised name) or
raises ``ValidationFailed`` (HTTP 422) with one of these stable codes:

- ``upload_empty``: the file has no bytes;
- ``upload_too_large``: more than ``max_bytes`` (setting ``YIWANG_UPLOAD_MAX_BYTES``, 20 MiB);
- ``upload_type_refused``: active content whatever the name says: HTML/XHTML, SVG, script markers
  near the start, executables (MZ, ELF, Mach-O, shebang), Office macros or embedded objects;
- ``upload_type_unsupported``: the content is none of the known kinds;
- ``upload_type_mismatch``: the extension or the declared content type disagrees with the content;
- ``upload_type_not_allowed``: a known kind that this field does not accept;
- ``upload_archive_rejected``: a zip-based file (OFD, DOCX, XLSX) that is encrypted, damaged, too
  many entries, too big or too compressed when unpacked (zip bomb), holds another archive, or has
  entry names that escape the folder (``../``, absolute paths, symlinks).

Known kinds, sniffed from magic bytes by our own small sniffer: PDF (``%PDF-`` at the start, ``%%EOF``
in the last KiB), JPEG (start-of-image and a valid first marker; data after the end of the image is
allowed because phones append whole videos to "motion photos"), PNG (signature, ``IHDR`` first,
``IEND`` at the end), OFD (GB/T 33190: a zip with ``OFD.xml`` at its root), DOCX and XLSX (a zip
with ``[Content_Types].xml`` and ``word/`` or ``xl/``), CSV and TXT (valid UTF-8 or GB18030 without
NUL or other control bytes; the extension tells the two apart). A PDF, JPEG or PNG with a zip glued
to its end (a polyglot) is not recognised.

Browsers declare unreliable content types (Windows sends CSV as ``application/vnd.ms-excel``,
unknown kinds such as OFD as ``application/octet-stream`` or nothing): the known aliases of a kind,
``application/octet-stream`` and an empty type are accepted; any other declared type is a mismatch.

The sanitised name is for display and ``Content-Disposition`` only. Storage must use its own key
(for example the digest), never the user's name, as a path.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any, Final

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed

MIB: Final = 1024 * 1024
DEFAULT_MAX_BYTES: Final = 20 * MIB
CHUNK_BYTES: Final = 64 * 1024
HEAD_BYTES: Final = 4096  # what the sniffer looks at
MARKUP_SCAN_BYTES: Final = 2048  # "near the start": more than the 1445 bytes browsers sniff
TRAILER_BYTES: Final = 1024  # trailers (%%EOF, IEND) must be within this many bytes of the end
TAIL_BYTES: Final = 22 + 65535  # a zip's end record is at most this far from the end

# Zip limits (zip bombs and friends).
ZIP_MAX_ENTRIES: Final = 1000
ZIP_MAX_TOTAL_UNCOMPRESSED: Final = 100 * MIB
ZIP_MAX_RATIO: Final = 100
# Entries smaller than this cannot hurt whatever their ratio (1000 of them stay far below the total
# limit); real XML parts compress far better than 100:1 when they are small and repetitive.
ZIP_RATIO_MIN_BYTES: Final = 1 * MIB
ZIP_MAX_CENTRAL_DIRECTORY: Final = 1 * MIB
ZIP_MAX_NAME_LENGTH: Final = 1024

FILENAME_MAX_BYTES: Final = 200  # UTF-8 bytes, extension included; filesystems allow 255
FILENAME_FALLBACK: Final = "upload"


class Kind(StrEnum):
    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    OFD = "ofd"
    DOCX = "docx"
    XLSX = "xlsx"
    CSV = "csv"
    TXT = "txt"


@dataclass(frozen=True)
class _KindInfo:
    label: str
    extensions: frozenset[str]
    content_types: frozenset[str]  # what browsers declare for it
    safe_content_type: str  # what we serve it as


_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TEXT_TYPES = {"text/plain", "text/csv"}

KINDS: Final[dict[Kind, _KindInfo]] = {
    Kind.PDF: _KindInfo(
        "PDF",
        frozenset({".pdf"}),
        frozenset({"application/pdf", "application/x-pdf"}),
        "application/pdf",
    ),
    Kind.JPEG: _KindInfo(
        "JPEG",
        frozenset({".jpg", ".jpeg"}),
        frozenset({"image/jpeg", "image/pjpeg", "image/jpg"}),
        "image/jpeg",
    ),
    Kind.PNG: _KindInfo(
        "PNG", frozenset({".png"}), frozenset({"image/png", "image/x-png"}), "image/png"
    ),
    Kind.OFD: _KindInfo(
        "OFD", frozenset({".ofd"}), frozenset({"application/ofd"}), "application/ofd"
    ),
    Kind.DOCX: _KindInfo("DOCX", frozenset({".docx"}), frozenset({_DOCX_TYPE}), _DOCX_TYPE),
    Kind.XLSX: _KindInfo("XLSX", frozenset({".xlsx"}), frozenset({_XLSX_TYPE}), _XLSX_TYPE),
    Kind.CSV: _KindInfo(
        "CSV",
        frozenset({".csv"}),
        frozenset(
            {
                "text/csv",
                "text/plain",
                "application/csv",
                "text/x-csv",
                "text/comma-separated-values",
                "application/vnd.ms-excel",
            }
        ),
        "text/csv",
    ),
    Kind.TXT: _KindInfo("TXT", frozenset({".txt"}), frozenset({"text/plain"}), "text/plain"),
}

# Declared types that say "the browser does not know": the content decides.
_UNKNOWN_CONTENT_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

DEFAULT_ALLOWED: Final[frozenset[str]] = frozenset(str(k) for k in Kind)


@dataclass(frozen=True)
class CheckedUpload:
    """What ``check_upload`` learnt about an accepted file."""

    kind: str
    content_type: str  # safe type to store and serve with (text kinds carry their charset)
    size: int
    sha256: str  # hex
    sm3: str  # hex
    name: str  # sanitised, for display and Content-Disposition only
    encoding: str | None = None  # "utf-8" or "gb18030" for text kinds


# --- file names -----------------------------------------------------------------------------------

_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(10)}
    | {f"LPT{i}" for i in range(10)}
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def _strip_invisible(text: str) -> str:
    """Drop controls, bidi and other format characters (U+202E…), unassigned and private-use ones."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            continue
        kept.append(" " if category == "Zs" else ch)
    return "".join(kept)


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if dot and _EXTENSION.fullmatch("." + ext.lower()):
        return stem, "." + ext.lower()
    return name, ""


def sanitize_filename(
    name: object, *, max_bytes: int = FILENAME_MAX_BYTES, fallback: str = FILENAME_FALLBACK
) -> str:
    """A harmless display name for a user-supplied file name; Chinese characters are kept.

    NFKC-normalises (full-width ``／`` becomes ``/`` before paths are cut), keeps the last path
    component (``/`` or ``\\``), drops control, bidi (U+202E…) and zero-width characters, replaces
    characters Windows forbids, trims dots, spaces and dashes at the ends, prefixes Windows reserved
    names (``CON``, ``COM1``…), lower-cases the extension and cuts the stem so that the name fits in
    ``max_bytes`` bytes of UTF-8. Anything that ends up empty becomes ``fallback`` (+ extension).
    """
    text = name if isinstance(name, str) else ""
    text = unicodedata.normalize("NFKC", text)
    text = re.split(r"[/\\]", text)[-1]
    text = _strip_invisible(text)
    text = _WINDOWS_FORBIDDEN.sub("_", text)
    text = re.sub(r" +", " ", text).strip()
    stem, ext = _split_extension(text)
    stem = stem.strip(" .-")
    if stem.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    if not stem:
        stem = fallback
    budget = max(max_bytes - len(ext.encode()), 1)
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    stem = stem.rstrip(" .") or fallback
    return stem + ext


# --- errors ---------------------------------------------------------------------------------------


def _fail(code: str, message: str, field: str, **details: Any) -> ValidationFailed:
    return ValidationFailed(code, message, field=field, details=details)


def _refused(field: str, reason: str) -> ValidationFailed:
    return _fail(
        "upload_type_refused",
        _("文件包含网页、脚本、宏或可执行程序等活动内容，不能上传。"),
        field,
        reason=reason,
    )


def _archive_rejected(field: str, reason: str) -> ValidationFailed:
    return _fail(
        "upload_archive_rejected",
        _("文件已加密、已损坏或结构异常（如解压后过大、嵌套压缩包、非法路径），不能接收。"),
        field,
        reason=reason,
    )


# --- sniffing -------------------------------------------------------------------------------------

_MARKUP_MARKERS = (
    b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<iframe", b"<object",
    b"<embed", b"<?xml-stylesheet",
)  # fmt: skip
# Refused when the file is not text; a shebang script is refused even though it is text.
_SHEBANG = b"#!"
_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"\x00asm",  # WebAssembly
)
# APPn, COM, DQT, DHT, DRI, SOFn: what may follow the start-of-image marker.
_JPEG_FIRST_MARKERS = frozenset([*range(0xC0, 0xD0), 0xDB, 0xDD, *range(0xE0, 0xF0), 0xFE])
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_END = b"PK\x05\x06"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Archives, executables and OLE compound files (macros, embedded objects) must not hide in a zip.
_NESTED_MAGIC = (
    _ZIP_LOCAL,
    _ZIP_END,
    b"PK\x07\x08",
    b"Rar!",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
    b"MSCF",  # cab
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE2 (vbaProject.bin, oleObject*.bin)
    b"MZ",
    b"\x7fELF",
)
_NESTED_EXTENSIONS = (
    ".zip", ".jar", ".apk", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".cab", ".docx",
    ".docm", ".xlsx", ".xlsm", ".pptx", ".ofd", ".exe", ".dll",
)  # fmt: skip
_MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml)$|(^|/)activeX/", re.IGNORECASE)


def _looks_like_markup(head: bytes) -> bool:
    text = head[:MARKUP_SCAN_BYTES].replace(b"\x00", b"").lower()
    return any(marker in text for marker in _MARKUP_MARKERS)


def _binary_kind(head: bytes) -> str | None:
    """The kind from the first bytes: pdf, jpeg, png or zip; None when it looks like none."""
    if head.startswith((b"%PDF-1.", b"%PDF-2.")):
        return Kind.PDF
    if head.startswith(b"\xff\xd8\xff") and len(head) > 3 and head[3] in _JPEG_FIRST_MARKERS:
        return Kind.JPEG
    if head.startswith(_PNG_SIGNATURE) and head[12:16] == b"IHDR":
        return Kind.PNG
    if head.startswith(_ZIP_LOCAL):
        return "zip"
    return None


class _TextCheck:
    """Incremental check that a stream is text: UTF-8 (with or without BOM) or GB18030."""

    def __init__(self) -> None:
        self.decoders: dict[str, codecs.IncrementalDecoder] = {
            "utf-8": codecs.getincrementaldecoder("utf-8-sig")(),
            "gb18030": codecs.getincrementaldecoder("gb18030")(),
        }
        self.control = False

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        if self.control or _CONTROL_BYTES.search(chunk):
            # In both encodings every byte below 0x80 is ASCII, so a control byte is one.
            self.control = True
            return
        for name, decoder in list(self.decoders.items()):
            try:
                decoder.decode(chunk, final)
            except UnicodeDecodeError:
                del self.decoders[name]

    @property
    def encoding(self) -> str | None:
        if self.control:
            return None
        return next(iter(self.decoders), None)


# --- streaming ------------------------------------------------------------------------------------


def _read(file: Any, size: int) -> bytes:
    data = file.read(size)
    if isinstance(data, str):  # a text-mode file: not an upload Django would give us
        data = data.encode()
    return data or b""


def _rewind(file: Any) -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        file.seek(0)


@dataclass
class _Scan:
    head: bytes
    tail: bytes
    size: int
    sha256: str
    sm3: str
    text_encoding: str | None


def _scan(file: Any, *, max_bytes: int, field: str) -> _Scan:
    """Read ``file`` once, in chunks, stopping as soon as it passes ``max_bytes``."""
    sha = hashes.Hash(hashes.SHA256())
    sm3 = hashes.Hash(hashes.SM3())
    _rewind(file)

    def too_large() -> ValidationFailed:
        return _fail(
            "upload_too_large",
            _("文件不能超过 %(limit)s MB。") % {"limit": f"{max_bytes / MIB:g}"},
            field,
            max_bytes=max_bytes,
        )

    head = b""
    while len(head) < HEAD_BYTES:
        chunk = _read(file, HEAD_BYTES - len(head))
        if not chunk:
            break
        head += chunk
        if len(head) > max_bytes:
            raise too_large()
    size = len(head)
    sha.update(head)
    sm3.update(head)
    text = _TextCheck() if _binary_kind(head) is None else None
    if text is not None:
        text.feed(head)
    tail = head[-TAIL_BYTES:]
    while True:
        chunk = _read(file, min(CHUNK_BYTES, max_bytes - size + 1))
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise too_large()
        sha.update(chunk)
        sm3.update(chunk)
        if text is not None and text.encoding is not None:
            text.feed(chunk)
        tail = (tail + chunk)[-TAIL_BYTES:]
    if text is not None and text.encoding is not None:
        text.feed(b"", final=True)
    _rewind(file)
    return _Scan(
        head=head,
        tail=tail,
        size=size,
        sha256=sha.finalize().hex(),
        sm3=sm3.finalize().hex(),
        text_encoding=text.encoding if text is not None else None,
    )


# --- zip-based kinds ------------------------------------------------------------------------------


def _bad_entry_name(name: str) -> bool:
    if not name or len(name) > ZIP_MAX_NAME_LENGTH:
        return True
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return True
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return any(part in ("..", ".") for part in re.split(r"[/\\]", name))


def _zip_end_record(file: Any, size: int) -> tuple[int, int]:
    """(entry count, central directory size) from the end record, read without parsing entries."""
    window = min(size, 22 + 65535)
    file.seek(size - window)
    data = _read(file, window)
    at = data.rfind(_ZIP_END)
    if at < 0 or len(data) - at < 22:
        raise zipfile.BadZipFile("no end of central directory")
    entries_total = int.from_bytes(data[at + 10 : at + 12], "little")
    directory_size = int.from_bytes(data[at + 12 : at + 16], "little")
    return entries_total, directory_size


def _check_zip(file: Any, size: int, field: str) -> Kind | None:
    """Refuse dangerous zips; return the kind (OFD, DOCX, XLSX) or None for any other zip."""
    try:
        entries_total, directory_size = _zip_end_record(file, size)
        if entries_total == 0xFFFF or directory_size == 0xFFFFFFFF:
            raise _archive_rejected(field, "zip64")
        if entries_total > ZIP_MAX_ENTRIES:
            raise _archive_rejected(field, "too_many_entries")
        if directory_size > ZIP_MAX_CENTRAL_DIRECTORY:
            raise _archive_rejected(field, "central_directory_too_large")
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            _check_zip_entries(infos, size, field)
            for info in infos:
                _read_zip_entry(archive, info, field)
            names = {info.filename for info in infos}
            content_types = b""
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as part:
                    content_types = part.read(ZIP_MAX_CENTRAL_DIRECTORY)
    except ValidationFailed:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as exc:
        raise _archive_rejected(field, "damaged") from exc
    except (NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        raise _archive_rejected(field, "unreadable") from exc
    finally:
        _rewind(file)
    return _zip_kind(names, content_types, field)


def _check_zip_entries(infos: list[zipfile.ZipInfo], size: int, field: str) -> None:
    if len(infos) > ZIP_MAX_ENTRIES:
        raise _archive_rejected(field, "too_many_entries")
    if not infos:
        raise _archive_rejected(field, "empty_archive")
    total = 0
    compressed_total = 0
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x41:  # bit 0 encrypted, bit 6 strong encryption
            raise _archive_rejected(field, "encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _archive_rejected(field, "compression_method")
        if _bad_entry_name(name) or _bad_entry_name(info.orig_filename):
            raise _archive_rejected(field, "entry_name")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _archive_rejected(field, "symlink")
        key = name.lower()
        if key in seen:
            raise _archive_rejected(field, "duplicate_entry")
        seen.add(key)
        if _MACRO_PARTS.search(name):
            raise _refused(field, "macro")
        if key.endswith(_NESTED_EXTENSIONS):
            raise _archive_rejected(field, "nested_archive")
        total += info.file_size
        compressed_total += info.compress_size
        if total > ZIP_MAX_TOTAL_UNCOMPRESSED:
            raise _archive_rejected(field, "too_large_uncompressed")
        if info.file_size > ZIP_RATIO_MIN_BYTES and info.file_size > ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise _archive_rejected(field, "compression_ratio")
    if compressed_total > size:  # entries that overlap each other (a "better zip bomb")
        raise _archive_rejected(field, "overlapping_entries")


def _read_zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, field: str) -> None:
    """Unpack one entry in chunks: checks its CRC and real size and looks at its first bytes.

    ``zipfile`` never yields more than the declared size, and a stream longer than declared fails
    its CRC, so the declared sizes checked before bound the work done here.
    """
    if info.is_dir():
        return
    with archive.open(info) as entry:
        first = entry.read(16)
        if first.startswith(_NESTED_MAGIC):
            raise _archive_rejected(field, "nested_archive")
        while entry.read(CHUNK_BYTES):
            pass


def _zip_kind(names: set[str], content_types: bytes, field: str) -> Kind | None:
    if "OFD.xml" in names:
        return Kind.OFD
    if not content_types:
        return None
    if b"macroenabled" in content_types.lower():
        raise _refused(field, "macro")
    parts = {name.split("/", 1)[0] for name in names if "/" in name}
    if "word" in parts and b"wordprocessingml.document.main+xml" in content_types:
        return Kind.DOCX
    if "xl" in parts and b"spreadsheetml.sheet.main+xml" in content_types:
        return Kind.XLSX
    return None


# --- the check ------------------------------------------------------------------------------------


def _max_bytes_setting() -> int:
    return int(getattr(settings, "YIWANG_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES) or DEFAULT_MAX_BYTES)


def _declared_content_type(uploaded_file: Any) -> str:
    declared = getattr(uploaded_file, "content_type", None) or ""
    return str(declared).split(";", 1)[0].strip().lower()


def _labels(kinds: Iterable[str]) -> str:
    return "、".join(sorted(KINDS[Kind(k)].label for k in kinds if k in KINDS))


def check_upload(
    uploaded_file: IO[bytes] | Any,
    *,
    allowed: set[str] | frozenset[str] = DEFAULT_ALLOWED,
    max_bytes: int | None = None,
    field: str = "file",
) -> CheckedUpload:
    """Check an uploaded file and describe it, or raise ``ValidationFailed`` (see module doc).

    ``uploaded_file`` is a Django ``UploadedFile`` (or any binary file object with ``read``, a
    ``name`` and optionally ``content_type`` and ``seek``). It is read in chunks and never past
    ``max_bytes`` + 1 bytes; zip-based kinds are then opened again to inspect their entries. The file
    is rewound afterwards so that the caller can store it. ``allowed`` holds ``Kind`` values.
    """
    limit = max_bytes if max_bytes is not None else _max_bytes_setting()
    unknown = set(allowed) - set(DEFAULT_ALLOWED)
    if unknown:
        raise ValueError(f"unknown upload kinds: {sorted(unknown)}")
    raw_name = getattr(uploaded_file, "name", "") or ""
    name = sanitize_filename(raw_name)
    _stem, extension = _split_extension(name)

    scan = _scan(uploaded_file, max_bytes=limit, field=field)
    if scan.size == 0:
        raise _fail("upload_empty", _("文件是空的，请重新选择。"), field)
    head = scan.head
    if head.startswith(_SHEBANG) or (
        head.startswith(_EXECUTABLE_MAGIC) and scan.text_encoding is None
    ):
        raise _refused(field, "executable")
    if _looks_like_markup(head):
        raise _refused(field, "markup")

    kind = _sniff(uploaded_file, scan, extension, field)
    if kind is None:
        raise _fail(
            "upload_type_unsupported",
            _("无法识别文件类型。请上传以下类型的文件：%(kinds)s。") % {"kinds": _labels(allowed)},
            field,
        )
    info = KINDS[kind]
    declared = _declared_content_type(uploaded_file)
    if extension not in info.extensions or (
        declared not in info.content_types and declared not in _UNKNOWN_CONTENT_TYPES
    ):
        raise _fail(
            "upload_type_mismatch",
            _("文件内容是%(kind)s，与文件扩展名或声明的类型不符。") % {"kind": info.label},
            field,
            sniffed=str(kind),
            extension=extension,
            declared_content_type=declared,
        )
    if kind not in allowed:
        raise _fail(
            "upload_type_not_allowed",
            _("此处不接受%(kind)s文件。请上传以下类型的文件：%(kinds)s。")
            % {"kind": info.label, "kinds": _labels(allowed)},
            field,
            sniffed=str(kind),
        )
    content_type = info.safe_content_type
    if scan.text_encoding is not None:
        content_type = f"{content_type}; charset={scan.text_encoding}"
    return CheckedUpload(
        kind=str(kind),
        content_type=content_type,
        size=scan.size,
        sha256=scan.sha256,
        sm3=scan.sm3,
        name=name,
        encoding=scan.text_encoding,
    )


def _sniff(uploaded_file: Any, scan: _Scan, extension: str, field: str) -> Kind | None:
    binary = _binary_kind(scan.head)
    tail = scan.tail
    if binary == "zip":
        return _check_zip(uploaded_file, scan.size, field)
    if binary is not None and _ZIP_END in tail:  # an image or PDF with a zip glued on (polyglot)
        return None
    trailer = tail[-TRAILER_BYTES:]
    if binary == Kind.PDF:
        return Kind.PDF if b"%%EOF" in trailer else None
    if binary == Kind.JPEG:
        # No end-of-image check: phones append data after it (motion photos: a whole video).
        return Kind.JPEG
    if binary == Kind.PNG:
        return Kind.PNG if b"IEND\xaeB`\x82" in trailer else None
    if scan.text_encoding is not None:
        return Kind.CSV if extension == ".csv" else Kind.TXT
    return None
