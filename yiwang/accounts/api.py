"""JSON API for accounts (mounted at /api/v1/accounts): who am I, departments, API tokens."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from yiwang.accounts import selectors, services
from yiwang.accounts.auth import SessionOnlyAuth, SessionOrTokenAuth
from yiwang.accounts.models import ApiToken, Department
from yiwang.accounts.permissions import requires_second_factor
from yiwang.accounts.schemas import (
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    DepartmentOut,
    DepartmentRefOut,
    MeOut,
    RoleAssignmentOut,
)

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
