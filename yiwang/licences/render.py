"""The printable form of a licence (版式文件): an A4 PDF with the signed content, the issuer's
e-seal, a QR code to the verification page and the licence's JSON form attached as
``licence.json``.

A licence's PDF is made once (``pdf_for``) and stored with its SM3 (``Licence.pdf_sm3``): a
presented PDF verifies only when it is byte-for-byte that file (``verification.verify_pdf``),
while its attachment lets anyone check the signature offline. Rendering is deterministic for a
given licence and installation (fixed metadata dates, no random file identifier), but a stored
file is never re-rendered: another WeasyPrint or font version would give other bytes.

Everything shown comes from the signed document, not from the current database rows: a
department renamed later does not change what its licence says.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import math
import re
import zlib
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from yiwang.core.crypto import sm3_hex
from yiwang.core.errors import ServiceUnavailable
from yiwang.core.ledger import record_event
from yiwang.licences import selectors
from yiwang.licences.models import HolderKind, Licence

logger = logging.getLogger("yiwang.licences")

ATTACHMENT_NAME = "licence.json"
ATTACHMENT_MAX_BYTES = 1024 * 1024
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
TEMPLATE = "licences/pdf/licence.html"
SEAL_COLOUR = "#c8161d"  # --color-accent (中国红)
QR_COLOUR = "#0a2547"  # --color-primary-deep: near-black, prints and scans as black


# --- QR code and seal ----------------------------------------------------------------------------


def verification_url(licence: Licence, base: str | None = None) -> str:
    """The verification page of ``licence`` with its digest (what the QR code carries)."""
    if base is None:
        base = str(getattr(settings, "YIWANG_PUBLIC_URL", "") or "") or DEFAULT_PUBLIC_URL
    return f"{base.rstrip('/')}/licences/verify/{licence.licence_id}/?d={licence.digest_short}"


def qr_svg(text: str) -> str:
    """``text`` as a QR code (error correction level M), inline SVG sized by its container."""
    import segno

    code = segno.make_qr(text, error="m", boost_error=False)
    return str(
        code.svg_inline(
            scale=1,
            border=2,
            dark=QR_COLOUR,
            light="#ffffff",
            omitsize=True,
            svgclass="qr",
            lineclass=None,
        )
    )


def _n(value: float) -> str:
    """A coordinate with two decimals (fixed text: the SVG, hence the PDF, is deterministic)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _star(cx: float, cy: float, outer: float) -> str:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + 36 * i)
        points.append(f"{_n(cx + radius * math.cos(angle))},{_n(cy + radius * math.sin(angle))}")
    return " ".join(points)


_QUOTE = {'"': "&quot;"}


def seal_svg(issuer_name: str) -> str:
    """A round red e-seal (电子印章) as SVG: a double ring, a five-pointed star, the department's
    name along the upper arc and 电子证照专用章 below the star. The same name gives the same SVG."""
    name = "".join(str(issuer_name or "").split())[:30] or "—"
    c, ring = 100.0, 95.0
    n = len(name)
    # The name runs clockwise over the top, centred, over up to 250° of the ring.
    span = min(250.0, max(100.0, n * 30.0))
    step = span / n
    arc = 2 * math.pi * 84.0 * step / 360.0  # room for one character on the arc
    font = min(30.0, max(9.0, arc * 0.9))
    baseline = 84.0 - font * 0.84  # glyph tops touch the inner ring
    chars = []
    for i, char in enumerate(name):
        theta = -span / 2 + step * (i + 0.5)
        rad = math.radians(theta)
        x, y = c + baseline * math.sin(rad), c - baseline * math.cos(rad)
        chars.append(
            f'<text x="0" y="0" transform="translate({_n(x)} {_n(y)}) rotate({_n(theta)}) '
            f'scale(0.82 1)" font-size="{_n(font)}">{escape(char)}</text>'
        )
    label = escape(_("电子证照专用章"))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" class="seal" role="img" '
        f'aria-label="{escape(name, _QUOTE)}">'
        f'<g fill="none" stroke="{SEAL_COLOUR}">'
        f'<circle cx="100" cy="100" r="{_n(ring)}" stroke-width="6"/>'
        f'<circle cx="100" cy="100" r="{_n(ring - 7)}" stroke-width="0.8"/></g>'
        f'<g fill="{SEAL_COLOUR}" font-family="Noto Serif CJK SC" font-weight="bold" '
        f'text-anchor="middle">'
        f'<polygon points="{_star(c, c, 30)}"/>'
        + "".join(chars)
        + f'<text x="0" y="0" transform="translate(100 158) scale(0.86 1)" font-size="17">'
        f"{label}</text></g></svg>"
    )


# --- the PDF -------------------------------------------------------------------------------------


def _date_text(value: dt.date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return _("%(year)d年%(month)d月%(day)d日") % {
        "year": value.year,
        "month": value.month,
        "day": value.day,
    }


def _rows(licence: Licence, document: dict[str, Any]) -> list[tuple[str, str]]:
    holder = document.get("holder") or {}
    if holder.get("kind") == HolderKind.ENTERPRISE:
        rows = [
            (_("持证单位"), holder.get("name", "")),
            (_("统一社会信用代码"), holder.get("id", "")),
        ]
    else:
        rows = [(_("持证人"), holder.get("name", "")), (_("公民身份号码"), holder.get("id", ""))]
    content = document.get("content") or {}
    for spec in licence.type.fields or []:
        value = content.get(spec.get("key"))
        if value in (None, ""):
            continue
        text = _date_text(value) if spec.get("type") == "date" else str(value)
        row = (str(spec.get("label") or spec.get("key")), text)
        if row not in rows:  # a type may repeat the holder's name as content: show it once
            rows.append(row)
    return rows


def _context(licence: Licence, *, seal: bool) -> dict[str, Any]:
    document = selectors.document_of(licence)
    issued_at = licence.issued_at
    until = document.get("valid_until")
    validity = (
        _("%(start)s 至 %(end)s")
        % {"start": _date_text(document.get("valid_from")), "end": _date_text(until)}
        if until
        else _("长期")
    )
    issuer = (document.get("issuer") or {}).get("name") or licence.issuer.name
    type_name = (document.get("type") or {}).get("name") or licence.type.name
    return {
        "licence": licence,
        "type_name": type_name,
        "issuer_name": issuer,
        "rows": _rows(licence, document),
        "issued_on": _date_text(
            timezone.localtime(issued_at, timezone.get_default_timezone()).date()
        ),
        "validity": validity,
        "created": issued_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "digest_short": licence.digest_short,
        "qr": mark_safe(qr_svg(verification_url(licence))),  # noqa: S308  # nosec B308 B703
        "seal": mark_safe(seal_svg(issuer)) if seal else "",  # noqa: S308  # nosec B308 B703
    }


def _tokens_css() -> str:
    """The site's design tokens (CSS variables), so that the PDF uses the same colours."""
    from django.contrib.staticfiles import finders

    path = finders.find("ui/tokens.css")
    if not path or isinstance(path, list):
        return ""
    with open(path, encoding="utf-8") as handle:
        found = re.search(r":root\s*\{[^}]*\}", handle.read())  # the variables, no @media
    return found.group(0) if found else ""


def _url_fetcher() -> Any:
    """A fetcher that loads nothing: the template is self-contained, and a value in a licence
    must never make the server fetch a URL."""
    import weasyprint

    fetcher_class = getattr(weasyprint, "URLFetcher", None)
    return fetcher_class(allowed_protocols=()) if fetcher_class is not None else None


def render_pdf(licence: Licence, *, seal: bool = True) -> bytes:
    """The licence as an A4 PDF/A-3b with ``licence.json`` attached (no storage, no ledger)."""
    import weasyprint

    with translation.override(settings.LANGUAGE_CODE):
        context = _context(licence, seal=seal)
        html = render_to_string(TEMPLATE, context)
        attached = json.dumps(
            selectors.json_form_of(licence), ensure_ascii=False, sort_keys=True, indent=1
        ).encode("utf-8")
        stamp = licence.issued_at.astimezone(dt.UTC).replace(tzinfo=None)
        attachment = weasyprint.Attachment(
            file_obj=io.BytesIO(attached),
            name=ATTACHMENT_NAME,
            description=_("电子证照签名数据（JSON）"),
            created=stamp,
            modified=stamp,
            relationship="Source",
        )
        fetcher = _url_fetcher()
        stylesheets = (
            [weasyprint.CSS(string=css, url_fetcher=fetcher)] if (css := _tokens_css()) else []
        )
        return bytes(
            weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(
                stylesheets=stylesheets,
                attachments=[attachment],
                pdf_variant="pdf/a-3b",
                custom_metadata=False,
            )
        )


def _stored(licence: Licence) -> bytes:
    try:
        with licence.pdf.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError) as exc:  # no file name, or the file is gone from storage
        logger.error("licence %s: stored PDF unreadable: %s", licence.licence_id, exc)
        data = b""
    if sm3_hex(data) != licence.pdf_sm3:
        logger.error("licence %s: stored PDF missing or altered", licence.licence_id)
        raise ServiceUnavailable(
            "licence_pdf_unavailable", _("证照版式文件暂不可用，请联系发证机关。")
        )
    return bytes(data)


def pdf_for(licence: Licence) -> bytes:
    """The licence's PDF, made and stored on the first call and read back on every later one.

    A presented PDF is accepted only when it is byte-identical to the stored file, so once
    ``pdf_sm3`` is set the file is never re-rendered: a lost or altered file is an error
    (``licence_pdf_unavailable``), not a reason to make another."""
    with transaction.atomic():
        locked = (
            Licence.objects.select_for_update(of=("self",))
            .select_related("type", "issuer", "key")
            .get(pk=licence.pk)
        )
        if locked.pdf_sm3:
            data = _stored(locked)
        else:
            data = render_pdf(locked)
            locked.pdf.save(f"{locked.licence_id}.pdf", ContentFile(data), save=False)
            locked.pdf_sm3 = sm3_hex(data)
            locked.save(update_fields=["pdf", "pdf_sm3"])
            record_event(
                actor="system",
                action="licences.pdf_made",
                object_type="licences.licence",
                object_id=locked.licence_id,
                payload={"file": locked.pdf.name, "pdf_sm3": locked.pdf_sm3},
            )
    licence.pdf, licence.pdf_sm3 = locked.pdf, locked.pdf_sm3
    return data


# --- reading a presented PDF ---------------------------------------------------------------------


def _inflate(raw: bytes, limit: int) -> bytes | None:
    """Flate-decode ``raw`` and give up past ``limit`` bytes (a zip bomb costs nothing)."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(raw, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        return None
    return out


def _embedded_stream(reader: Any) -> Any:
    """The ``/EF /F`` stream of the embedded file named ``licence.json``, or None."""
    from pypdf.generic import ArrayObject, DictionaryObject

    names = reader.trailer["/Root"].get("/Names")
    names = names.get_object() if names is not None else None
    tree = names.get("/EmbeddedFiles") if isinstance(names, DictionaryObject) else None
    pending = [tree.get_object()] if tree is not None else []
    seen = 0
    while pending:
        seen += 1
        if seen > 256:  # a name tree of a hostile file can be deep or cyclic
            return None
        node = pending.pop()
        if not isinstance(node, DictionaryObject):
            continue
        leaves = node.get("/Names")
        leaves = leaves.get_object() if leaves is not None else None
        if isinstance(leaves, ArrayObject):
            for i in range(0, len(leaves) - 1, 2):
                if str(leaves[i].get_object()) != ATTACHMENT_NAME:
                    continue
                spec = leaves[i + 1].get_object()
                ef = spec.get("/EF") if isinstance(spec, DictionaryObject) else None
                ef = ef.get_object() if ef is not None else None
                if isinstance(ef, DictionaryObject) and "/F" in ef:
                    return ef["/F"].get_object()
        kids = node.get("/Kids")
        kids = kids.get_object() if kids is not None else None
        if isinstance(kids, ArrayObject):
            pending.extend(kid.get_object() for kid in kids[:64])
    return None


def extract_json_form(raw: bytes) -> bytes | None:
    """The bytes of the embedded file ``licence.json`` of a presented PDF; None when there is
    none or the input is not a readable, unencrypted PDF. Never raises on hostile input."""
    if not isinstance(raw, bytes | bytearray) or b"%PDF-" not in bytes(raw[:1024]):
        return None
    try:
        from pypdf import PdfReader
        from pypdf.generic import StreamObject

        reader = PdfReader(io.BytesIO(bytes(raw)), strict=False)
        if reader.is_encrypted:
            return None
        stream = _embedded_stream(reader)
        if not isinstance(stream, StreamObject):
            return None
        encoded = stream._data  # the raw (encoded) bytes: decode ourselves, with a cap
        if len(encoded) > ATTACHMENT_MAX_BYTES * 2:
            return None
        if "/DecodeParms" in stream:  # predictors etc.: not what we write
            return None
        filters = stream.get("/Filter")
        filters = filters.get_object() if filters is not None else None
        if filters is None or (isinstance(filters, list) and not filters):
            data: bytes | None = bytes(encoded)
        elif str(filters) == "/FlateDecode" or (
            isinstance(filters, list) and [str(f) for f in filters] == ["/FlateDecode"]
        ):
            data = _inflate(bytes(encoded), ATTACHMENT_MAX_BYTES)
        else:
            return None
    except Exception:  # any parser failure on a presented file means "no licence inside"
        return None
    if data is None or len(data) > ATTACHMENT_MAX_BYTES:
        return None
    return data
