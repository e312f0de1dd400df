"""JSON and XML renderings of Open311 answers, in the shapes of the GeoReport v2 wiki.

JSON: the data as is (``null`` for an empty value). XML: ``<?xml version="1.0"
encoding="utf-8"?>``, a root element (``services``, ``service_requests``, ``errors``, …), one
child per list item (``service``, ``request``, ``error``), nested lists named as the wiki names
them (``attributes/attribute``, ``values/value``, ``endpoints/endpoint``, ``formats/format``),
``true``/``false`` for booleans and an empty element for an empty value. Characters XML 1.0
cannot carry (control characters, lone surrogates) are dropped from XML and replaced in JSON.

Errors: a list of ``{code, description}`` (``<errors><error>``) where ``code`` is the HTTP
status, as in the wiki.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # building XML only; nothing is parsed
from typing import Any

from django.http import HttpResponse

JSON = "json"
XML = "xml"
CONTENT_TYPES = {
    JSON: "application/json; charset=utf-8",
    XML: "text/xml; charset=utf-8",
}
LIST_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_format(value: str) -> bool:
    return value in CONTENT_TYPES


def _json_safe(data: Any) -> Any:
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    if isinstance(data, list):
        return [_json_safe(item) for item in data]
    if isinstance(data, dict):
        return {key: _json_safe(value) for key, value in data.items()}
    return data


def _xml_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(ET.SubElement(element, key), inner)
    elif isinstance(value, list):
        item_tag = LIST_ITEMS.get(element.tag, "item")
        for inner in value:
            _fill(ET.SubElement(element, item_tag), inner)
    else:
        element.text = _xml_text(value)


def to_xml(data: Any, root: str, item: str | None = None) -> bytes:
    element = ET.Element(root)
    if isinstance(data, list):
        for inner in data:
            _fill(ET.SubElement(element, item or "item"), inner)
    else:
        _fill(element, data)
    body = ET.tostring(element, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def to_json(data: Any) -> bytes:
    return json.dumps(_json_safe(data), ensure_ascii=False).encode("utf-8")


def render(
    data: Any, fmt: str, *, root: str, item: str | None = None, status: int = 200
) -> HttpResponse:
    """``data`` in ``fmt`` (``json`` or ``xml``; anything else is answered in JSON)."""
    if fmt == XML:
        return HttpResponse(
            to_xml(data, root, item), status=status, content_type=CONTENT_TYPES[XML]
        )
    return HttpResponse(to_json(data), status=status, content_type=CONTENT_TYPES[JSON])


def render_errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    errors = [{"code": status, "description": text} for text in descriptions]
    return render(errors, fmt, root="errors", item="error", status=status)
