"""Ninja schemas of the catalogue API (explicit fields)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class MaterialOut(Schema):
    key: str
    name: str
    material_type: str
    form: str
    required: bool
    source_channel: str
    copies: int
    trust_level: str
    description: str
    licence_type: str
    shared_dataset: str
    deficiency_allowed: bool
    commitment_allowed: bool


class ItemSummaryOut(Schema):
    id: int
    implementation_code: str
    base_code: str
    name: str
    item_type: str
    item_type_label: str
    version: int
    department_uscc: str
    department_name: str
    region_code: str
    handling_type: str
    legal_limit: int
    promised_limit: int
    limit_unit: str
    online_depth: int
    for_persons: bool
    for_enterprises: bool
    cross_region_modes: list[str]


class ItemOut(ItemSummaryOut):
    business_code: str
    status: str
    published_at: dt.datetime | None
    level: str
    legal_basis: str
    conditions: str
    summary: str
    keywords: str
    visits: int
    visit_reason: str
    charges: bool
    fee_basis: str
    fee_description: str
    steps: list[Any]
    form_fields: list[Any]
    result_name: str
    result_type: str
    result_sample: str
    result_licence_type: str
    consult_phone: str
    complaint_phone: str
    process_key: str
    materials: list[MaterialOut]
    equivalent_items: list[str]


class ItemPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[ItemSummaryOut]


class FieldSpecOut(Schema):
    key: str
    label: str
    type: str
    required: bool
    choices: list[Any]
    source: str


class MaterialSpecOut(Schema):
    item_code: str
    key: str
    name: str
    required: bool
    trust_level: str
    licence_type: str
    shared_dataset: str
    deficiency_allowed: bool
    commitment_allowed: bool
    description: str


class FormSpecOut(Schema):
    fields: list[FieldSpecOut]
    materials: list[MaterialSpecOut]


class BundleMemberOut(Schema):
    implementation_code: str
    name: str
    department_name: str
    promised_limit: int
    legal_limit: int
    optional: bool


class BundleSummaryOut(Schema):
    id: int
    code: str
    name: str
    summary: str
    audience: str
    department_name: str
    promised_limit: int


class BundleOut(BundleSummaryOut):
    members: list[BundleMemberOut]
    form: FormSpecOut


class ImportErrorOut(Schema):
    row: Any
    implementation_code: str
    code: str
    messages: list[str]
    issues: list[dict[str, Any]]
    bundle: str | None = None


class ImportReportOut(Schema):
    ok: bool
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    bundles_created: list[str]
    bundles_updated: list[str]
    errors: list[ImportErrorOut]
