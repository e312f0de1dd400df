"""Import and export of the catalogue: JSON and XLSX round-trip, per-item reports, hostile
workbooks."""

from __future__ import annotations

import copy
import io

import pytest
from openpyxl import Workbook, load_workbook

from yiwang.accounts.tests.factories import make_department
from yiwang.catalog import services, transfer
from yiwang.catalog.models import Bundle, ItemStatus, ServiceItem
from yiwang.catalog.tests.factories import LICENSING_STEPS, make_item, material_data
from yiwang.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    department = make_department("示范市市场监督管理局")
    food = make_item(
        department,
        name="食品经营许可",
        item_type="licensing",
        legal_limit=20,
        promised_limit=5,
        steps=LICENSING_STEPS,
        result_name="食品经营许可证",
        result_sample='=HYPERLINK("http://evil")',  # hostile text survives as text
        cross_region_modes=["online", "proxy"],
        summary="-从事食品销售，应当取得许可\n第二行",
        materials=[
            material_data(
                key="licence",
                name="营业执照",
                trust_level="A",
                licence_type="11100000000013338W011",
            ),
            material_data(
                key="plan",
                name="平面图",
                description="+可手绘",
                copies=2,
                required=False,
                deficiency_allowed=True,
            ),
        ],
    )
    other = make_item(
        department,
        name="个体工商户登记",
        charges=True,
        fee_basis="无",
        visits=1,
        online_depth=3,
        visit_reason="核验原件",
    )
    services.create_or_update_bundle(
        None,
        {
            "code": "startup",
            "name": "开店一件事",
            "department_uscc": department.uscc,
            "members": [
                food.implementation_code,
                {"implementation_code": other.implementation_code, "optional": True},
            ],
        },
    )
    return department


def wipe() -> None:
    Bundle.objects.all().delete()
    ServiceItem.objects.all().delete()


def test_json_round_trip(catalogue):
    exported = transfer.catalogue_document()
    assert len(exported["items"]) == 2 and len(exported["bundles"]) == 1
    wipe()
    report = transfer.import_catalogue(None, copy.deepcopy(exported), "json")
    assert report.ok and len(report.created) == 2 and report.bundles_created == ["startup"]
    assert transfer.catalogue_document() == exported


def test_xlsx_round_trip(catalogue):
    exported = transfer.catalogue_document()
    workbook = transfer.catalogue_xlsx()
    wipe()
    report = transfer.import_catalogue(None, workbook, "xlsx")
    assert report.ok, report.errors
    assert transfer.catalogue_document() == exported


def test_the_xlsx_export_writes_hostile_text_as_text_never_as_a_formula(catalogue):
    sheet = load_workbook(io.BytesIO(transfer.catalogue_xlsx()))["items"]
    column = [c.value for c in sheet[1]].index("result_sample") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    hostile = next(c for c in cells if c.value and "HYPERLINK" in c.value)
    assert hostile.data_type == "s" and hostile.value.startswith("'=")


def test_importing_the_same_catalogue_again_changes_nothing(catalogue):
    exported = transfer.catalogue_document()
    report = transfer.import_catalogue(None, exported, "json")
    assert sorted(report.unchanged) == sorted(i["implementation_code"] for i in exported["items"])
    assert ServiceItem.objects.count() == 2


def test_a_changed_item_is_imported_as_a_new_published_version(catalogue):
    exported = transfer.catalogue_document()
    exported["items"][0]["promised_limit"] = 3
    code = exported["items"][0]["implementation_code"]
    report = transfer.import_catalogue(None, exported, "json")
    assert report.updated == [code]
    versions = ServiceItem.objects.filter(implementation_code=code).order_by("version")
    assert [(v.version, v.status) for v in versions] == [
        (1, ItemStatus.SUPERSEDED),
        (2, ItemStatus.PUBLISHED),
    ]


def test_a_bad_item_is_reported_and_the_good_ones_are_imported(catalogue):
    exported = transfer.catalogue_document()
    wipe()
    exported["items"][1]["fee_basis"] = ""  # 收费 without 收费依据
    exported["items"][1]["materials"].append({"key": "x", "name": "材料", "trust_level": "Z"})
    exported["bundles"] = []
    report = transfer.import_catalogue(None, exported, "json")
    assert report.created == [exported["items"][0]["implementation_code"]]
    [error] = report.errors
    assert (
        error["row"] == 2
        and error["implementation_code"] == exported["items"][1]["implementation_code"]
    )
    assert any("收费依据" in m for m in error["messages"])
    assert any(i["field"] == "materials[2].trust_level" for i in error["issues"])
    assert ServiceItem.objects.count() == 1  # nothing of the bad item was written


def test_unknown_fields_are_errors_not_silently_dropped(catalogue):
    exported = transfer.catalogue_document()
    exported["items"][0]["colour"] = "红"
    report = transfer.import_catalogue(None, exported, "json")
    assert report.errors and "colour" in report.errors[0]["messages"][0]


def test_a_bundle_with_an_unknown_member_is_reported(catalogue):
    exported = transfer.catalogue_document()
    exported["bundles"][0]["members"].append({"implementation_code": "NOPE", "optional": False})
    report = transfer.import_catalogue(None, exported, "json")
    assert report.errors[0]["bundle"] == "startup"
    assert "NOPE" in report.errors[0]["messages"][0]


def test_not_a_catalogue_document_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        transfer.import_catalogue(None, b"[1, 2]", "json")
    assert caught.value.code == "import_bad_document"
    with pytest.raises(ValidationFailed) as caught:
        transfer.import_catalogue(None, b"{not json", "json")
    assert caught.value.code == "import_bad_json"


# --- hostile workbooks --------------------------------------------------------------------------


def _workbook(rows: list[list[object]], materials: list[list[object]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "items"
    for row in rows:
        sheet.append(row)
    if materials is not None:
        extra = book.create_sheet("materials")
        for row in materials:
            extra.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_row_missing_required_values_names_the_fields_in_chinese(catalogue):
    department = catalogue
    header = ["implementation_code", "base_code", "name", "department_uscc"]
    content = _workbook([header, ["000999000000A", "000999000000", "新事项", department.uscc]])
    [error] = transfer.import_catalogue(None, content, "xlsx").errors
    assert any(m.startswith("事项类型（item_type）") for m in error["messages"])


def test_a_formula_cell_is_refused_not_evaluated(catalogue):
    department = catalogue
    header = ["implementation_code", "base_code", "name", "department_uscc"]
    content = _workbook([header, ["000999000000X", "000999000000", "=1+1", department.uscc]])
    report = transfer.import_catalogue(None, content, "xlsx")
    [error] = report.errors
    assert error["row"] == 2 and "公式" in error["messages"][0]
    assert not ServiceItem.objects.filter(implementation_code="000999000000X").exists()


def test_wrong_columns_are_refused_with_a_clear_message():
    content = _workbook([["implementation_code", "base_code", "nmae", "department_uscc"]])
    with pytest.raises(ValidationFailed) as caught:
        transfer.import_catalogue(None, content, "xlsx")
    assert caught.value.code == "import_bad_columns"
    assert "缺少列：name" in caught.value.message and "未知列：nmae" in caught.value.message


def test_a_workbook_without_the_items_sheet_is_refused():
    book = Workbook()
    book.active.title = "Sheet1"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ValidationFailed) as caught:
        transfer.import_catalogue(None, buffer.getvalue(), "xlsx")
    assert caught.value.code == "import_missing_sheet"


def test_garbage_instead_of_a_workbook_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        transfer.import_catalogue(None, b"PK\x03\x04 not really a zip", "xlsx")
    assert caught.value.code == "import_unreadable"


def test_a_material_row_for_an_unknown_item_is_reported(catalogue):
    department = catalogue
    header = ["implementation_code", "base_code", "name", "department_uscc", "item_type", "level"]
    content = _workbook(
        [
            header,
            [
                "000999000000A",
                "000999000000",
                "新事项",
                department.uscc,
                "other_power",
                "municipal",
            ],
        ],
        [["implementation_code", "key", "name"], ["000888000000B", "form", "申请表"]],
    )
    report = transfer.import_catalogue(None, content, "xlsx")
    assert report.created == ["000999000000A"]
    assert "000888000000B" in report.errors[0]["messages"][0]
