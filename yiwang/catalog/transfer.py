"""Import and export of the catalogue (JSON and XLSX).

Document (JSON)::

    {"format": "yiwang.catalog", "version": 1,
     "items": [{<ITEM_FIELDS>, "department_uscc": "...", "region_code": "...",
                "materials": [{<MATERIAL_FIELDS>}, ...]}, ...],
     "bundles": [{"code", "name", "summary", "audience", "department_uscc", "promised_limit",
                  "is_published", "members": [{"implementation_code", "optional"}]}]}

Workbook (XLSX): sheet ``items`` (one row per item; ``steps``, ``form_fields`` and
``cross_region_modes`` as JSON text), sheet ``materials`` (``implementation_code`` + the material
columns, in order), sheet ``bundles`` (``members`` as JSON text). The first row of each sheet holds
the column keys. Cells are written through ``yiwang.core.exports.safe_cell``: text a spreadsheet
could run as a formula is prefixed with ``'``, which the import strips again, so an export imports
back unchanged. A formula cell in an uploaded workbook is refused (never evaluated).

Import is all-or-nothing per item (a savepoint each) and never silent: every item is reported as
created, updated (a new published version), unchanged, or with its errors (row and messages).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from yiwang.catalog import selectors, services
from yiwang.catalog.models import Bundle, ItemStatus, ServiceItem
from yiwang.catalog.services import (
    BUNDLE_FIELDS,
    ITEM_FIELDS,
    JSON_FIELDS,
    MATERIAL_FIELDS,
    REFERENCE_FIELDS,
)
from yiwang.core.errors import DomainError, ValidationFailed
from yiwang.core.exports import FORMULA_TRIGGERS, safe_cell

FORMAT_NAME = "yiwang.catalog"
FORMAT_VERSION = 1
MAX_ITEMS = 5000
ITEM_COLUMNS: tuple[str, ...] = (*ITEM_FIELDS, *REFERENCE_FIELDS)
MATERIAL_COLUMNS: tuple[str, ...] = ("implementation_code", *MATERIAL_FIELDS)
BUNDLE_COLUMNS: tuple[str, ...] = BUNDLE_FIELDS
REQUIRED_ITEM_COLUMNS = ("implementation_code", "base_code", "name", "department_uscc")
SHEETS = {"items": ITEM_COLUMNS, "materials": MATERIAL_COLUMNS, "bundles": BUNDLE_COLUMNS}


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    bundles_created: list[str] = field(default_factory=list)
    bundles_updated: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "bundles_created": self.bundles_created,
            "bundles_updated": self.bundles_updated,
            "errors": self.errors,
        }


# --- export ---------------------------------------------------------------------------------------


def item_record(item: ServiceItem, materials: list[Any] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {name: getattr(item, name) for name in ITEM_FIELDS}
    record["department_uscc"] = item.department.uscc
    record["region_code"] = item.region.code
    source = materials if materials is not None else list(item.materials.all())
    record["materials"] = [{name: getattr(m, name) for name in MATERIAL_FIELDS} for m in source]
    return record


def bundle_record(bundle: Bundle) -> dict[str, Any]:
    return {
        "code": bundle.code,
        "name": bundle.name,
        "summary": bundle.summary,
        "audience": bundle.audience,
        "department_uscc": bundle.department.uscc,
        "promised_limit": bundle.promised_limit,
        "is_published": bundle.is_published,
        "members": [
            {"implementation_code": m.implementation_code, "optional": m.optional}
            for m in bundle.members.all()
        ],
    }


def catalogue_document() -> dict[str, Any]:
    """The published catalogue as the JSON document."""
    items = (
        selectors.published_items().prefetch_related("materials").order_by("implementation_code")
    )
    bundles = selectors.published_bundles().prefetch_related("members")
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "items": [item_record(i) for i in items],
        "bundles": [bundle_record(b) for b in bundles],
    }


def _cell(sheet: Any, value: Any) -> WriteOnlyCell:
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    value = safe_cell(value)
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        return cell
    return WriteOnlyCell(sheet, value=value)


def catalogue_xlsx(document: dict[str, Any] | None = None) -> bytes:
    document = document or catalogue_document()
    workbook = Workbook(write_only=True)
    rows: dict[str, list[list[Any]]] = {"items": [], "materials": [], "bundles": []}
    for record in document["items"]:
        rows["items"].append([record.get(c) for c in ITEM_COLUMNS])
        for material in record["materials"]:
            rows["materials"].append(
                [record["implementation_code"], *(material.get(c) for c in MATERIAL_FIELDS)]
            )
    for record in document["bundles"]:
        rows["bundles"].append([record.get(c) for c in BUNDLE_COLUMNS])
    for title, columns in SHEETS.items():
        sheet = workbook.create_sheet(title=title)
        sheet.append([_cell(sheet, c) for c in columns])
        for row in rows[title]:
            sheet.append([_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_catalogue(format: str = "json") -> dict[str, Any] | bytes:
    if format == "json":
        return catalogue_document()
    if format == "xlsx":
        return catalogue_xlsx()
    raise ValidationFailed("unknown_format", _("格式只能是 json 或 xlsx。"), field="format")


# --- reading a workbook ---------------------------------------------------------------------------


class _RowError(Exception):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages


def _unescape(value: Any) -> Any:
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value[1:].lstrip(" \n\u00a0\u3000").startswith(FORMULA_TRIGGERS)
    ):
        return value[1:]
    return value


def _sheet_rows(
    workbook: Any, title: str, columns: tuple[str, ...], *, required: bool
) -> list[tuple[int, dict[str, Any] | _RowError]]:
    if title not in workbook.sheetnames:
        if required:
            raise ValidationFailed(
                "import_missing_sheet",
                _("工作簿缺少工作表“%(sheet)s”。") % {"sheet": title},
                field="file",
            )
        return []
    sheet = workbook[title]
    iterator = sheet.iter_rows()
    header_cells = next(iterator, None)
    header = [str(c.value).strip() if c.value is not None else "" for c in header_cells or ()]
    while header and header[-1] == "":
        header.pop()
    unknown = [h for h in header if h not in columns]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    required_columns = REQUIRED_ITEM_COLUMNS if title == "items" else columns[:1]
    missing = [c for c in required_columns if c not in header]
    if unknown or missing or duplicated:
        parts = []
        if missing:
            parts.append(_("缺少列：%(c)s") % {"c": "、".join(missing)})
        if unknown:
            parts.append(_("未知列：%(c)s") % {"c": "、".join(unknown)})
        if duplicated:
            parts.append(_("重复的列：%(c)s") % {"c": "、".join(duplicated)})
        raise ValidationFailed(
            "import_bad_columns",
            _("工作表“%(sheet)s”的表头不正确（%(parts)s）。第一行应为列代码，见导出文件。")
            % {"sheet": title, "parts": "；".join(parts)},
            field="file",
            details={"sheet": title, "missing": missing, "unknown": unknown},
        )
    rows: list[tuple[int, dict[str, Any] | _RowError]] = []
    for number, cells in enumerate(iterator, start=2):
        values: dict[str, Any] = {}
        problems: list[str] = []
        for column, cell in zip(header, cells, strict=False):
            if not column:
                continue
            if cell.data_type == "f" or (
                isinstance(cell.value, str) and cell.value.startswith("=") and cell.data_type != "s"
            ):
                problems.append(
                    _("第 %(row)s 行“%(col)s”列是公式，导入只接受文本和数值。")
                    % {"row": number, "col": column}
                )
                continue
            values[column] = _unescape(cell.value)
        if all(v in (None, "") for v in values.values()) and not problems:
            continue
        if len(rows) >= MAX_ITEMS * 10:
            raise ValidationFailed("import_too_large", _("导入的行数过多。"), field="file")
        rows.append((number, _RowError(problems) if problems else values))
    return rows


def _json_cell(value: Any, column: str, row: int) -> Any:
    if value in (None, ""):
        return []
    if isinstance(value, list | dict):
        return value
    try:
        return json.loads(str(value))
    except ValueError:
        raise _RowError(
            [
                _("第 %(row)s 行“%(col)s”列应为 JSON 文本。") % {"row": row, "col": column},
            ]
        ) from None


def _typed(column: str, value: Any, row: int) -> Any:
    if column in JSON_FIELDS or column == "members":
        return _json_cell(value, column, row)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None:
        return None
    return value


def _text_default(record: dict[str, Any]) -> dict[str, Any]:
    """Empty cells of text columns read back as None: make them empty text again."""
    for key, value in list(record.items()):
        if value is None and key not in JSON_FIELDS:
            record[key] = ""
    return record


def read_workbook(content: bytes) -> dict[str, Any]:
    """The JSON document equivalent of an uploaded workbook, with per-row errors kept in
    ``_errors`` of each record (row numbers of the sheet)."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:
        raise ValidationFailed(
            "import_unreadable", _("无法读取该 XLSX 文件。"), field="file"
        ) from None
    try:
        item_rows = _sheet_rows(workbook, "items", ITEM_COLUMNS, required=True)
        material_rows = _sheet_rows(workbook, "materials", MATERIAL_COLUMNS, required=False)
        bundle_rows = _sheet_rows(workbook, "bundles", BUNDLE_COLUMNS, required=False)
    finally:
        workbook.close()
    items: list[dict[str, Any]] = []
    by_code: dict[str, dict[str, Any]] = {}
    for number, values in item_rows:
        record: dict[str, Any] = {"_row": number, "materials": []}
        if isinstance(values, _RowError):
            record["_errors"] = values.messages
        else:
            try:
                for column, value in values.items():
                    record[column] = _typed(column, value, number)
            except _RowError as error:
                record["_errors"] = error.messages
            _text_default(record)
            record["materials"] = []
        items.append(record)
        code = str(record.get("implementation_code") or "")
        if code:
            by_code[code] = record
    for number, values in material_rows:
        if isinstance(values, _RowError):
            code = ""
            problems = values.messages
        else:
            code = str(values.get("implementation_code") or "")
            problems = []
        target = by_code.get(code)
        if target is None:
            items.append(
                {
                    "_row": number,
                    "implementation_code": code,
                    "_errors": problems
                    or [
                        _("材料表第 %(row)s 行的实施编码 %(code)s 不在事项表中。")
                        % {"row": number, "code": code}
                    ],
                }
            )
            continue
        if problems:
            target.setdefault("_errors", []).extend(problems)
            continue
        assert not isinstance(values, _RowError)
        material = _text_default(
            {k: _typed(k, v, number) for k, v in values.items() if k != "implementation_code"}
        )
        target["materials"].append(material)
    bundles: list[dict[str, Any]] = []
    for number, values in bundle_rows:
        if isinstance(values, _RowError):
            bundles.append({"_row": number, "_errors": values.messages})
            continue
        try:
            bundles.append({"_row": number, **{k: _typed(k, v, number) for k, v in values.items()}})
        except _RowError as error:
            bundles.append({"_row": number, "code": values.get("code"), "_errors": error.messages})
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "items": items, "bundles": bundles}


# --- import ---------------------------------------------------------------------------------------


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _import_item(actor: Any, record: dict[str, Any], *, publish: bool) -> str:
    data = {k: v for k, v in record.items() if not k.startswith("_") and k != "materials"}
    materials = record.get("materials") or []
    if not isinstance(materials, list) or not all(isinstance(m, dict) for m in materials):
        raise ValidationFailed("invalid_materials", _("材料清单应为列表。"), field="materials")
    code = str(data.get("implementation_code") or "").strip()
    if not code:
        raise ValidationFailed(
            "implementation_code_required", _("请填写实施编码。"), field="implementation_code"
        )
    latest = selectors.latest_version(code)
    if latest is None:
        item = services.create_item(actor, data, materials)
        if publish:
            services.publish_item(actor, item)
        return "created"
    if latest.status == ItemStatus.DRAFT:
        item = services.update_draft(actor, latest, data, materials)
        if publish:
            services.publish_item(actor, item)
        return "updated"
    current = (
        ServiceItem.objects.filter(
            implementation_code=code,
            status__in=[ItemStatus.PUBLISHED, ItemStatus.SUSPENDED],
        )
        .select_related("department", "region")
        .first()
    )
    if current is not None:
        # What the row would become, compared with what is published.
        probe = ServiceItem.objects.select_related("department", "region").get(pk=current.pk)
        built, _issues = services.apply_item_data(probe, data, materials)
        if item_record(probe, built) == item_record(current):
            return "unchanged"
    item = services.draft_new_version(actor, code, data, materials)
    if publish:
        services.publish_item(actor, item)
    return "updated"


def _error(row: Any, code: str, error: DomainError | list[str]) -> dict[str, Any]:
    if isinstance(error, list):
        return {
            "row": row,
            "implementation_code": code,
            "code": "import_row_invalid",
            "messages": error,
            "issues": [],
        }
    issues = error.details.get("issues", []) if error.details else []
    messages = [i["message"] for i in issues if i.get("severity") == "reject"] or [error.message]
    return {
        "row": row,
        "implementation_code": code,
        "code": error.code,
        "messages": messages,
        "issues": issues,
    }


def import_document(actor: Any, document: Any, *, publish: bool = True) -> ImportReport:
    if not isinstance(document, dict) or not isinstance(document.get("items", []), list):
        raise ValidationFailed(
            "import_bad_document",
            _('导入文件应为目录文档：{"items": [...], "bundles": [...]}。'),
            field="file",
        )
    items = document.get("items", [])
    bundles = document.get("bundles", []) or []
    if len(items) > MAX_ITEMS or not isinstance(bundles, list):
        raise ValidationFailed("import_too_large", _("一次最多导入 5000 个事项。"), field="file")
    report = ImportReport()
    for index, record in enumerate(items, start=1):
        if not isinstance(record, dict):
            report.errors.append(
                _error(index, "", [_("第 %(n)s 个事项格式不正确。") % {"n": index}])
            )
            continue
        row = record.get("_row", index)
        code = str(record.get("implementation_code") or "")
        if record.get("_errors"):
            report.errors.append(_error(row, code, list(record["_errors"])))
            continue
        try:
            with transaction.atomic():
                outcome = _import_item(actor, record, publish=publish)
        except DomainError as error:
            report.errors.append(_error(row, code, error))
            continue
        getattr(report, outcome).append(code)
    for index, record in enumerate(bundles, start=1):
        if not isinstance(record, dict):
            report.errors.append(
                _error(index, "", [_("第 %(n)s 个一件事格式不正确。") % {"n": index}])
            )
            continue
        row = record.get("_row", index)
        code = str(record.get("code") or "")
        if record.get("_errors"):
            report.errors.append(_error(row, code, list(record["_errors"])) | {"bundle": code})
            continue
        data = {k: v for k, v in record.items() if not k.startswith("_")}
        existing = Bundle.objects.filter(code=code).select_related("department").first()
        if existing is not None and bundle_record(existing) == {
            **bundle_record(existing),
            **{k: v for k, v in data.items() if k != "members"},
            "members": [
                m if isinstance(m, dict) else {"implementation_code": m, "optional": False}
                for m in data.get("members", [])
            ],
        }:
            continue
        try:
            with transaction.atomic():
                _bundle, created = services.create_or_update_bundle(actor, data)
        except DomainError as error:
            report.errors.append(_error(row, code, error) | {"bundle": code})
            continue
        (report.bundles_created if created else report.bundles_updated).append(code)
    return report


@transaction.atomic
def import_catalogue(
    actor: Any,
    data: Any,
    format: str = "json",
    *,
    publish: bool = True,
) -> ImportReport:
    """Import a catalogue document (dict, JSON text/bytes) or an XLSX workbook (bytes)."""
    if format == "json":
        if isinstance(data, bytes | str):
            try:
                data = json.loads(data)
            except ValueError:
                raise ValidationFailed(
                    "import_bad_json", _("导入文件不是有效的 JSON。"), field="file"
                ) from None
        return import_document(actor, data, publish=publish)
    if format == "xlsx":
        if not isinstance(data, bytes):
            data = data.read()
        return import_document(actor, read_workbook(data), publish=publish)
    raise ValidationFailed("unknown_format", _("格式只能是 json 或 xlsx。"), field="format")
