"""JSON API for accounts (mounted at /api/v1/accounts): who am I, departments, API tokens, and
the persons a counter clerk registers and looks up (一窗受理)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from yiwang.accounts import selectors, services
from yiwang.accounts.auth import SessionOnlyAuth, SessionOrTokenAuth
from yiwang.accounts.models import ApiToken, Department, Person
from yiwang.accounts.permissions import requires_second_factor
from yiwang.accounts.schemas import (
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    DepartmentOut,
    DepartmentRefOut,
    MeOut,
    PersonIn,
    PersonOut,
    PersonPageOut,
    RoleAssignmentOut,
)
from yiwang.core.idempotency import idempotent
from yiwang.core.masking import Kind, mask

router = Router(tags=["accounts"], auth=SessionOrTokenAuth())


def _department_out(department: Department) -> DepartmentOut:
    return DepartmentOut(
        id=department.pk,
        name=department.name,
        short_name=department.short_name,
        uscc=department.uscc,
        parent_id=department.parent_id,
        region_code=department.region.code,
        region_name=department.region.name,
        is_active=department.is_active,
    )


def _token_out(token: ApiToken) -> dict[str, object]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/me", response=MeOut, summary="Who am I")
def me(request: HttpRequest) -> MeOut:
    user = request.auth  # type: ignore[attr-defined]
    staff_roles = selectors.active_staff_roles(user)
    return MeOut(
        id=user.pk,
        username=user.username,
        kind=user.kind,
        display_name=user.display_name,
        masked_id_number=selectors.own_masked_id_number(user),
        second_factor_required=requires_second_factor(user),
        roles=[
            RoleAssignmentOut(
                department_id=sr.department_id,
                department_name=sr.department.name,
                role_code=sr.role.code,
                role_name=sr.role.name,
                scope=sr.role.scope,
                admin_duty=sr.role.admin_duty,
            )
            for sr in staff_roles
        ],
        departments=[
            DepartmentRefOut(id=d.pk, name=d.name) for d in selectors.user_departments(user)
        ],
    )


@router.get("/departments", response=list[DepartmentOut], summary="Departments in my data scope")
def list_departments(request: HttpRequest) -> list[DepartmentOut]:
    return [_department_out(d) for d in selectors.departments_visible_to(request.auth)]  # type: ignore[attr-defined]


@router.get(
    "/departments/{department_id}",
    response=DepartmentOut,
    summary="One department (404 outside my data scope)",
)
def get_department(request: HttpRequest, department_id: int) -> DepartmentOut:
    return _department_out(selectors.get_department_for_user(request.auth, department_id))  # type: ignore[attr-defined]


@router.get("/tokens", response=list[ApiTokenOut], summary="My API tokens")
def list_tokens(request: HttpRequest) -> list[dict[str, object]]:
    return [_token_out(t) for t in selectors.api_tokens_of(request.auth)]  # type: ignore[attr-defined]


@router.post(
    "/tokens",
    response={201: ApiTokenCreatedOut},
    auth=SessionOnlyAuth(),
    summary="Create an API token (the plain token is returned once)",
)
def create_token(request: HttpRequest, payload: ApiTokenIn) -> Status[dict[str, object]]:
    user = request.auth  # type: ignore[attr-defined]
    token, plain = services.create_api_token(
        user, payload.name, expires_in_days=payload.expires_in_days, by=user
    )
    return Status(201, {**_token_out(token), "token": plain})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of my API tokens")
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    user = request.auth  # type: ignore[attr-defined]
    services.revoke_api_token(user, selectors.get_api_token_for_user(user, token_id))
    return HttpResponse(status=204)


# --- persons (一窗受理) ---------------------------------------------------------------------------

# The purpose recorded when a clerk's registration answer shows the new person's data.
REGISTRATION_PURPOSE = "一窗受理：登记申请人"
_PURPOSE_HELP = "用途（申请事由），记入个人信息访问记录；查看他人信息时必填"


def _person_out(viewer: object, person: Person, purpose: str) -> PersonOut:
    """The person as ``viewer`` may see him. Showing a person is a personal-data access: the ID
    number goes through ``reveal_id_number``, which records it for the person's vault."""
    masked_id = services.reveal_id_number(viewer, person, purpose, access_checked=True)
    audience = selectors.person_audience(viewer, person)
    return PersonOut(
        id=person.pk,
        name=mask(Kind.NAME, person.name, audience),
        masked_id_number=masked_id,
        phone=mask(Kind.PHONE, person.phone, audience),
        address=mask(Kind.ADDRESS, person.address, audience),
        region_code=person.region.code if person.region else None,
        region_name=person.region.name if person.region else None,
        realname_level=person.realname_level,
        has_account=person.user_id is not None,
        created_at=person.created_at,
    )


@router.post(
    "/persons",
    response={201: PersonOut},
    summary="Register a walk-in applicant (一窗受理); send an Idempotency-Key",
    description="需要 `accounts.register_person` 权限（窗口受理员）。同一身份证号重复登记返回 409 "
    "`person_exists`。请携带 `Idempotency-Key` 请求头：超时或 503 后用同一键重试，"
    "得到与首次相同的响应（`Idempotent-Replayed: true`），不会重复登记。",
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": "幂等键（建议 UUID）：重试时使用同一键，24 小时内有效",
            }
        ]
    },
)
@idempotent
def register_person(request: HttpRequest, payload: PersonIn) -> Status[PersonOut]:
    clerk = request.auth  # type: ignore[attr-defined]
    person = services.register_walk_in_applicant(
        clerk,
        payload.name,
        payload.id_number,
        phone=payload.phone,
        address=payload.address,
        region_code=payload.region_code,
    )
    return Status(201, _person_out(clerk, person, REGISTRATION_PURPOSE))


@router.get(
    "/persons",
    response=PersonPageOut,
    summary="Persons in my scope (masked; each one shown is recorded as a personal-data access)",
)
def list_persons(
    request: HttpRequest,
    purpose: str = Query("", max_length=200, description=_PURPOSE_HELP),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=1_000_000_000),
) -> PersonPageOut:
    viewer = request.auth  # type: ignore[attr-defined]
    persons = selectors.persons_visible_to(viewer).select_related("region").order_by("-id")
    page = list(persons[offset : offset + limit])
    return PersonPageOut(
        items=[_person_out(viewer, person, purpose) for person in page],
        count=persons.count(),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/persons/{person_id}",
    response=PersonOut,
    summary="One person (404 outside my scope; recorded as a personal-data access)",
)
def get_person(
    request: HttpRequest,
    person_id: int,
    purpose: str = Query("", max_length=200, description=_PURPOSE_HELP),
) -> PersonOut:
    viewer = request.auth  # type: ignore[attr-defined]
    return _person_out(viewer, selectors.get_person_for_user(viewer, person_id), purpose)
