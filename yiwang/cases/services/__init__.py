"""Writes for cases: one function per use case, atomic, audited (CaseEvent + ledger entry), with
notifications sent after commit. ``from yiwang.cases import services``."""

from yiwang.cases.services.base import (
    APPROVE,
    INTAKE,
    INTAKE_CAPABILITIES,
    REVIEW,
    is_applicant_side,
    staff_can,
)
from yiwang.cases.services.decisions import (
    check_bundle_done,
    deliver,
    extend,
    on_clock_changed,
    on_process_finished,
    resume,
    review,
    suspend,
)
from yiwang.cases.services.intake import (
    accept,
    forward,
    missing_materials,
    process_data,
    reject,
    request_correction,
    resubmit,
    withdraw,
)
from yiwang.cases.services.submission import (
    counter_enterprise,
    counter_intake,
    find_or_register_applicant,
    submit_online,
    upload_material,
)

__all__ = [
    "APPROVE",
    "INTAKE",
    "INTAKE_CAPABILITIES",
    "REVIEW",
    "accept",
    "check_bundle_done",
    "counter_enterprise",
    "counter_intake",
    "deliver",
    "extend",
    "find_or_register_applicant",
    "forward",
    "is_applicant_side",
    "missing_materials",
    "on_clock_changed",
    "on_process_finished",
    "process_data",
    "reject",
    "request_correction",
    "resubmit",
    "resume",
    "review",
    "staff_can",
    "submit_online",
    "suspend",
    "upload_material",
    "withdraw",
]
