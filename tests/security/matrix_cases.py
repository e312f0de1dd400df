"""Authorisation matrix entries for cases (办件): the applicant's own cases, the staff worklist
and the intake decisions of a department's clerk (see tests/security/authz/)."""

from __future__ import annotations

import itertools

from tests.security.authz import (
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    Authenticated,
    Listing,
    Owned,
    Parameterised,
    Restricted,
    Scoped,
    World,
    register_persona,
)
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Role, User
from yiwang.accounts.tests.factories import PASSWORD, make_role
from yiwang.cases import services
from yiwang.cases.models import Case, CaseMaterial
from yiwang.cases.tests.factories import make_bundle, make_item, png_upload
from yiwang.workflow import services as wf

CASE_CLERK_A = "case_clerk_a"  # 受理员 of department A (cases.intake, cases.review)


def _case_clerk(world: World) -> User:
    user = account_services.create_user_account(
        "gina.caseclerk", kind=User.Kind.STAFF, display_name="吉娜", password=PASSWORD
    )
    role = make_role(
        Role.Scope.OWN_DEPARTMENT,
        capabilities=("cases.intake", "cases.review", "cases.approve"),
        code="reviewer",
    )
    account_services.grant_role(None, user, world.department("a"), role)
    return user


register_persona(CASE_CLERK_A, _case_clerk)

_serial = itertools.count(1)
FORM = {"shop_name": "授权矩阵小店"}
FIELDS = [{"key": "shop_name", "label": "店铺名称", "type": "text"}]


def _item(world: World):
    item = make_item(
        world.department("a"), name=f"授权矩阵测试事项{next(_serial)}", fields=FIELDS, materials=[]
    )
    wf.publish_definition(
        item.implementation_code,
        item.name,
        {
            "stages": [
                {"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}
            ]
        },
    )
    return item


def _citizen_case(world: World) -> Case:
    return services.submit_online(world.must(CITIZEN_A), _item(world), FORM, {})


def _in_correction(world: World) -> Case:
    case = _citizen_case(world)
    services.request_correction(world.must(CASE_CLERK_A), case, [], "请补充经营场所说明")
    case.refresh_from_db()
    return case


def _in_review(world: World, *, delivery: str = "electronic") -> Case:
    case = services.submit_online(world.must(CITIZEN_A), _item(world), FORM, {}, delivery=delivery)
    return services.accept(world.must(CASE_CLERK_A), case)


def _suspended(world: World) -> Case:
    return services.suspend(
        world.must(CASE_CLERK_A), _in_review(world), "expert_review", "专家评审"
    )


def _approved(world: World) -> Case:
    case = _in_review(world, delivery="pickup")
    return services.review(world.must(CASE_CLERK_A), case, "approve", "同意")


def _number(case: Case) -> dict[str, str]:
    return {"number": case.number}


def _new_case(world: World, persona: str) -> dict:
    item = _item(world)
    return {"item": item.implementation_code, "form": FORM, "materials": {}}


def _bundle(world: World):
    return make_bundle(world.department("a"), [_item(world), _item(world)])


def _apply_form(world: World, target, persona: str) -> dict:
    """The HTML apply form, filled and signed (a fresh one-time token for each request)."""
    return {
        "shop_name": "授权矩阵小店",
        "delivery": "electronic",
        "sign": "on",
        "form_token": f"authz-{next(_serial)}",
    }


UPLOADED = "site_plan"


def _awaiting_upload(world: World) -> Case:
    """A case submitted online whose required plan is announced as an upload still to come."""
    item = make_item(
        world.department("a"),
        name=f"授权矩阵上传事项{next(_serial)}",
        fields=FIELDS,
        materials=[{"key": UPLOADED, "name": "场所平面图"}],
    )
    wf.publish_definition(
        item.implementation_code,
        item.name,
        {
            "stages": [
                {"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}
            ]
        },
    )
    return services.submit_online(
        world.must(CITIZEN_A), item, FORM, {UPLOADED: {"source": "upload"}}
    )


STAFF_OUTSIDERS = (CITIZEN_B, CLERK_B, OUTSIDER_STAFF, AUDITOR)
# Staff never apply for themselves here: a walk-in applicant is served through cases:counter.
STAFF = (CLERK_A, CLERK_B, OUTSIDER_STAFF, AUDITOR)

ENTRIES = [
    # Lists filtered to the caller; proven by the Owned/Scoped entries below.
    Listing(("GET /api/v1/cases", "cases:mine")),
    Listing("GET /api/v1/cases/worklist", personas=(CITIZEN_A, CITIZEN_B)),
    Listing("cases:worklist", personas=(CASE_CLERK_A,)),
    Authenticated("cases:notifications", own_marker=None, payloads={"POST": {}}),
    Authenticated(
        "POST /api/v1/cases",
        own_marker=None,
        personas=(CITIZEN_A, CITIZEN_B),
        payloads={"POST": _new_case},
    ),
    # The applicant's case: his alone (404 for everyone else, never listed).
    Owned(
        (
            "GET /api/v1/cases/{number}",
            "GET /api/v1/cases/{number}/timeline",
            "cases:detail",
            "POST /api/v1/cases/{number}/withdraw",
        ),
        make=_citizen_case,
        owner=CITIZEN_A,
        # CLERK_A's region-subtree scope covers department A: he may see its cases.
        outsiders=STAFF_OUTSIDERS,
        kwargs=_number,
        lists=("GET /api/v1/cases", "cases:mine"),
        marker=lambda case: case.item.name,
        payloads={"POST": {"reason": ""}},
    ),
    # Intake decisions: the clerk of the item's department; outsiders 403/404, nothing changes.
    Scoped(
        (
            "POST /api/v1/cases/{number}/accept",
            "POST /api/v1/cases/{number}/reject",
            "POST /api/v1/cases/{number}/request-correction",
        ),
        make=_citizen_case,
        owner=CASE_CLERK_A,
        kwargs=_number,
        lists=("GET /api/v1/cases/worklist", "cases:worklist"),
        marker=lambda case: case.item.name,
        payloads={"POST": {"mode": "normal", "reason": "不属于本机关职权范围", "note": "请补正"}},
    ),
    # The applicant answers a 补正 notice.
    Owned(
        ("POST /api/v1/cases/{number}/resubmit", "cases:resubmit"),
        make=_in_correction,
        owner=CITIZEN_A,
        # CLERK_A's region-subtree scope covers department A: he may see its cases.
        outsiders=STAFF_OUTSIDERS,
        kwargs=_number,
        # The answer to a notice that asked for an explanation: the corrected form.
        payloads={"POST": {"form": FORM}},
    ),
    # Review and clock actions of the department's staff on a case in review.
    Scoped(
        (
            "POST /api/v1/cases/{number}/review",
            "POST /api/v1/cases/{number}/suspend",
            "POST /api/v1/cases/{number}/extend",
        ),
        make=_in_review,
        owner=CASE_CLERK_A,
        kwargs=_number,
        payloads={
            "POST": {
                "outcome": "approve",
                "comment": "同意",
                "reason_code": "expert_review",
                "reason": "专家评审",
                "amount": 1,
            }
        },
    ),
    Scoped(
        "POST /api/v1/cases/{number}/resume", make=_suspended, owner=CASE_CLERK_A, kwargs=_number
    ),
    Scoped(
        "POST /api/v1/cases/{number}/deliver",
        make=_approved,
        owner=CASE_CLERK_A,
        kwargs=_number,
        payloads={"POST": {"method": "pickup"}},
    ),
    # Applying online: every signed-in citizen; staff are refused (403), nothing is written.
    Parameterised(
        "cases:apply_item",
        make=_item,
        kwargs=lambda item: {"code": item.implementation_code},
        allowed=(CITIZEN_A, CITIZEN_B),
        refused=STAFF,
        payloads={"POST": _apply_form},
        expect={"POST": 302},  # to the new case's page
        counts=(Case,),
    ),
    Parameterised(
        "cases:apply_bundle",
        make=_bundle,
        kwargs=lambda bundle: {"code": bundle.code},
        allowed=(CITIZEN_A, CITIZEN_B),
        refused=STAFF,
        payloads={"POST": _apply_form},
        expect={"POST": 302},
        counts=(Case,),
    ),
    # Uploading a material announced at submission: the case's applicant only (others 403/404).
    Parameterised(
        "POST /api/v1/cases/{number}/materials/{key}",
        make=_awaiting_upload,
        kwargs=lambda case: {"number": case.number, "key": UPLOADED},
        allowed=(CITIZEN_A,),
        refused=(CITIZEN_B, CASE_CLERK_A, CLERK_A, CLERK_B, OUTSIDER_STAFF, AUDITOR),
        payloads={"POST": lambda world, case, persona: {"file": png_upload()}},
        multipart=True,
        expect={"POST": 201},
        counts=(CaseMaterial,),
    ),
    # 一窗受理: windows with cases.intake only.
    Restricted("cases:counter", allowed=(CASE_CLERK_A,), payloads={"POST": {}}),
]
