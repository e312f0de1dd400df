"""Tabular exports (CSV, XLSX) that cannot turn user data into spreadsheet formulas.

Formula injection (CSV injection, OWASP): a cell whose text starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return (or the full-width ``＝ ＋ － ＠``, which some spreadsheet locales accept)
may be run as a formula (``=HYPERLINK(…)``, DDE ``=cmd|' /C calc'!A0``) when a clerk opens the
export. Such text is prefixed with a single quote (``'``), also when spaces or line breaks come
before the trigger. Only text is escaped: ``int``, ``float`` and ``Decimal`` values, including
negative ones, stay numbers; ``bool``, ``date`` and ``datetime`` keep their types in XLSX.

- CSV: UTF-8 with a byte-order mark, so that Excel in a Chinese locale does not read it as GBK;
  ``csv_rows`` yields it line by line for ``StreamingHttpResponse`` (``csv_response``).
- XLSX: openpyxl's write-only mode (rows are streamed to a temporary file, not kept in memory);
  text cells are typed as strings, never formulas; characters XML cannot hold are dropped and text
  longer than Excel's 32 767 characters per cell is cut (``write_xlsx``, ``xlsx_response``).

Both responses name the file with RFC 6266 ``filename*=UTF-8''…`` (Chinese names) plus an ASCII
``filename`` fallback, and are marked ``Cache-Control: no-store`` (exports hold personal data).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any, Final
from urllib.parse import quote

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from yiwang.core.errors import ValidationFailed
from yiwang.core.uploads import sanitize_filename

FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Characters a spreadsheet skips before it looks for a formula trigger.
_LEADING_BLANKS: Final = " \n\u00a0\u3000"
BOM: Final = "\ufeff"
CSV_CONTENT_TYPE: Final = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS: Final = 1_048_576
XLSX_MAX_CELL_CHARS: Final = 32_767
# Excel shows 15 significant digits; larger integers (ID numbers by mistake) are written as text.
_EXACT_INT_LIMIT: Final = 10**15

Cell = str | int | float | Decimal | bool | dt.date | dt.datetime | None


def neutralise_text(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet could read it as a formula."""
    # Tab and CR are triggers themselves; spaces and line feeds before a trigger do not disarm it.
    if value.lstrip(_LEADING_BLANKS).startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _local_naive(value: dt.datetime) -> dt.datetime:
    if timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def safe_cell(value: Any) -> Cell:
    """A value fit for a spreadsheet cell: numbers, booleans and dates kept, text neutralised.

    ``None`` stays empty; non-finite numbers (NaN, ±∞) become empty; aware datetimes are turned
    into the local time zone (spreadsheets have no zones); anything else becomes neutralised text.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < _EXACT_INT_LIMIT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, dt.datetime):
        return _local_naive(value)
    if isinstance(value, dt.date):
        return value
    return neutralise_text(str(value))


# --- file names -----------------------------------------------------------------------------------


def content_disposition(filename: str, *, extension: str) -> str:
    """``attachment`` header value for ``filename`` (RFC 6266 / RFC 5987), forced to ``extension``.

    The name is sanitised like an upload name; ``filename*`` carries it in UTF-8 and ``filename``
    an ASCII fallback for old clients.
    """
    name = sanitize_filename(filename, fallback="export")
    _stem, dot, ext = name.rpartition(".")
    if not dot or "." + ext.lower() != extension:
        name = f"{name}{extension}"
    # ASCII fallback: accents dropped (résumé → resume); a name in another script becomes "export".
    decomposed = unicodedata.normalize("NFKD", name[: -len(extension)])
    ascii_stem = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    if not ascii_stem.isascii():
        ascii_stem = ""
    ascii_stem = re.sub(r"[^A-Za-z0-9._ -]", "", ascii_stem).strip(" .-") or "export"
    return (
        f"attachment; filename=\"{ascii_stem}{extension}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


# --- CSV ------------------------------------------------------------------------------------------


class _Line:
    """A write target for ``csv.writer`` that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def _csv_text(value: Any) -> str:
    cell = safe_cell(value)
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    return str(cell).replace("\x00", "")


def csv_rows(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV export as lines (``\\r\\n``), the first one starting with a BOM; lazy over ``rows``."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([_csv_text(v) for v in header])
    for row in rows:
        yield writer.writerow([_csv_text(v) for v in row])


def csv_response(
    filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streaming download of ``rows`` as CSV named ``filename`` (``.csv`` added when missing)."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_rows(header, rows)), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = content_disposition(filename, extension=".csv")
    response["Cache-Control"] = "no-store"
    return response


# --- XLSX -----------------------------------------------------------------------------------------


class ExportTooLarge(ValidationFailed):
    """More rows than a worksheet can hold: narrow the export or use CSV."""

    default_code = "export_too_many_rows"


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", ILLEGAL_CHARACTERS_RE.sub("", title)).strip("'")
    return cleaned[:31] or "Sheet1"


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> SheetCell:
    cell_value = safe_cell(value)
    if isinstance(cell_value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", cell_value)[:XLSX_MAX_CELL_CHARS]
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"  # text, even if it looked like a formula to openpyxl
        return cell
    number_or_date: Any = cell_value
    return WriteOnlyCell(sheet, value=number_or_date)


def write_xlsx(
    target: IO[bytes] | str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "Sheet1",
    max_rows: int = XLSX_MAX_ROWS,
) -> None:
    """Write one worksheet (``header`` then ``rows``) to ``target`` (a path or a binary file).

    Raises ``ExportTooLarge`` (``ValidationFailed``, code ``export_too_many_rows``) beyond
    ``max_rows`` rows, header included (at most Excel's 1 048 576).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    sheet.append([_xlsx_cell(sheet, v) for v in header])
    limit = min(max_rows, XLSX_MAX_ROWS)
    count = 1
    for row in rows:
        count += 1
        if count > limit:
            raise ExportTooLarge(
                message=_("导出的行数超过上限（%(limit)s 行），请缩小范围或导出 CSV。")
                % {"limit": limit},
                details={"max_rows": limit},
            )
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    workbook.save(target)


def xlsx_response(
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "Sheet1",
    max_rows: int = XLSX_MAX_ROWS,
) -> FileResponse:
    """A download of ``rows`` as an XLSX workbook named ``filename`` (``.xlsx`` added when missing).

    The workbook is built in a temporary file (in memory up to 8 MiB) and streamed from there.
    """
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - response closes it
    try:
        write_xlsx(buffer, header, rows, sheet_title=sheet_title, max_rows=max_rows)
    except BaseException:
        buffer.close()
        raise
    buffer.seek(0)
    response = FileResponse(buffer, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, extension=".xlsx")
    response["Cache-Control"] = "no-store"
    return response
