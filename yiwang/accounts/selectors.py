"""Permission-checked reads for accounts: data scopes, departments, persons, enterprises, tokens.

The reusable piece is ``scope_filter``: every app that stores a ``department`` on its objects
(cases, tickets, inspections …) narrows a queryset to what a staff user may see with it, and
fetches single objects with ``get_…_for_user`` functions that raise ``NotFound`` for anything
outside the scope (a forbidden object and a missing one look the same).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.accounts.models import (
    ApiToken,
    Department,
    Enterprise,
    Person,
    Region,
    Role,
    StaffRole,
    User,
    region_code_prefix,
)
from yiwang.accounts.permissions import REGISTER_PERSON
from yiwang.core.crypto import (
    blind_index,
    blind_index_key,
    field_encryption_key,
    sm4_gcm_decrypt,
)
from yiwang.core.errors import NotFound
from yiwang.core.identifiers import validate_resident_id
from yiwang.core.masking import Audience, Kind, mask

M = TypeVar("M", bound=Model)

ID_NUMBER_AAD_PREFIX = b"accounts.person.id_number:"


# --- data scope ----------------------------------------------------------------------------------


def active_staff_roles(user: Any) -> list[StaffRole]:
    """The user's current role assignments in active departments (none for non-staff)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.kind != User.Kind.STAFF:
        return []
    return list(
        StaffRole.objects.active()
        .filter(user_id=user.pk, department__is_active=True)
        .select_related("role", "department__region")
        .order_by("department__path", "role__code")
    )


def _scope_roles(
    user: Any, *, include_admin_duties: bool, capabilities: tuple[str, ...] | None = None
) -> list[StaffRole]:
    roles = active_staff_roles(user)
    if any(sr.role.admin_duty == Role.AdminDuty.AUDIT for sr in roles):
        return []  # the auditor reads the ledger and nothing else
    if capabilities is not None:
        wanted = set(capabilities)
        roles = [sr for sr in roles if wanted.intersection(sr.role.capabilities or [])]
    if include_admin_duties:
        return roles
    return [sr for sr in roles if not sr.role.admin_duty]


def scope_q(
    user: Any,
    department_field: str | None = "department",
    *,
    include_admin_duties: bool = False,
    capabilities: tuple[str, ...] | None = None,
) -> Q | None:
    """The ``Q`` that selects objects whose department ``user`` may see, or None for nothing.

    See ``scope_filter`` for the rules and the meaning of ``department_field``; with
    ``capabilities`` only the roles holding one of them count.
    """
    roles = _scope_roles(user, include_admin_duties=include_admin_duties, capabilities=capabilities)
    if not roles:
        return None
    prefix = f"{department_field}__" if department_field else ""
    own_ids: set[int] = set()
    subtree_paths: set[str] = set()
    region_prefixes: set[str] = set()
    for sr in roles:
        if sr.role.scope == Role.Scope.DEPARTMENT_SUBTREE:
            subtree_paths.add(sr.department.path)
        elif sr.role.scope == Role.Scope.REGION_SUBTREE:
            region_prefixes.add(region_code_prefix(sr.department.region.code))
        else:
            own_ids.add(sr.department_id)
    parts: list[Q] = []
    if own_ids:
        parts.append(Q(**{f"{prefix}id__in": sorted(own_ids)}))
    parts.extend(Q(**{f"{prefix}path__startswith": path}) for path in sorted(subtree_paths))
    parts.extend(
        Q(**{f"{prefix}region__code__startswith": region_prefix})
        for region_prefix in sorted(region_prefixes)
    )
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q


def scope_filter(
    user: Any,
    queryset: QuerySet[M],
    department_field: str | None = "department",
    *,
    include_admin_duties: bool = False,
) -> QuerySet[M]:
    """Narrow ``queryset`` to the objects ``user`` may see through his roles' data scopes.

    ``department_field`` is the lookup path from the queryset's model to a ``Department``
    (``"department"``, ``"case__department"`` …); pass ``None`` when the queryset is of
    ``Department`` itself; the path must follow forward foreign keys only (no duplicates, no
    ``distinct()`` needed). Each of the user's active roles contributes, and the union is returned:

    - ``own_department``: objects of the department the role was granted in;
    - ``department_subtree``: that department and all its descendants (via ``Department.path``);
    - ``region_subtree``: every department whose region lies within the region of the role's
      department (region code prefix: a city role sees its districts, streets and communities).

    Citizens, service accounts, anonymous and inactive users see nothing through this filter
    (give them their own selectors, e.g. ``persons_visible_to``). Administrator duties (三员) give
    no access to business data unless ``include_admin_duties`` (used for the department list a
    security administrator needs to grant roles); the audit administrator always gets nothing.

    Usage in another app::

        def cases_visible_to(user):
            return scope_filter(user, Case.objects.all())  # Case.department is a FK

        def get_case_for_user(user, case_id):
            case = scope_filter(user, Case.objects.filter(pk=case_id)).first()
            if case is None:
                raise NotFound(...)
            return case
    """
    q = scope_q(user, department_field, include_admin_duties=include_admin_duties)
    if q is None:
        return queryset.none()
    return queryset.filter(q)


def departments_visible_to(user: Any) -> QuerySet[Department]:
    """Departments the user may see: his scope, administrators' duties included (not audit)."""
    return scope_filter(
        user,
        Department.objects.select_related("region", "parent"),
        None,
        include_admin_duties=True,
    ).order_by("region__code", "path")


def get_department_for_user(user: Any, department_id: int) -> Department:
    department = departments_visible_to(user).filter(pk=department_id).first()
    if department is None:
        raise NotFound("department_not_found", _("部门不存在或您无权查看。"))
    return department


def user_departments(user: Any) -> list[Department]:
    """The departments the user holds a role in (his own posts), without duplicates."""
    seen: dict[int, Department] = {}
    for sr in active_staff_roles(user):
        seen.setdefault(sr.department_id, sr.department)
    return list(seen.values())


# --- persons and enterprises ---------------------------------------------------------------------


def _person_region_prefixes(user: Any) -> list[str]:
    return sorted(
        {
            region_code_prefix(sr.department.region.code)
            for sr in _scope_roles(user, include_admin_duties=False)
            if sr.role.scope == Role.Scope.REGION_SUBTREE
        }
    )


def counter_regions(user: Any) -> list[Region]:
    """The regions where ``user`` registers walk-in applicants (一窗受理): the region of each
    department in which a role gives him ``accounts.register_person``, most local first."""
    regions = {
        sr.department.region.pk: sr.department.region
        for sr in _scope_roles(user, include_admin_duties=False)
        if REGISTER_PERSON in (sr.role.capabilities or [])
    }
    return sorted(regions.values(), key=lambda r: (-len(r.prefix), r.code))


def persons_visible_to(user: Any) -> QuerySet[Person]:
    """A citizen sees himself; staff with a region-subtree role see persons of that region, and
    a counter clerk (``accounts.register_person``) persons of his department's region.

    Everyone else (department-scoped staff, administrators, the auditor, service accounts)
    sees no persons here; case handling gives access to applicants through the cases app.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Person.objects.none()
    if user.kind == User.Kind.PERSON:
        return Person.objects.filter(user_id=user.pk)
    prefixes = sorted(
        set(_person_region_prefixes(user)) | {region.prefix for region in counter_regions(user)}
    )
    if not prefixes:
        return Person.objects.none()
    return Person.objects.filter(_in_regions(prefixes))


def _in_regions(prefixes: Any) -> Q:
    """Objects whose region code starts with one of the region-code ``prefixes``."""
    q = Q()
    for region_prefix in prefixes:
        q |= Q(region__code__startswith=region_prefix)
    return q


def get_person_for_user(user: Any, person_id: int) -> Person:
    person = persons_visible_to(user).filter(pk=person_id).first()
    if person is None:
        raise NotFound("person_not_found", _("自然人不存在或您无权查看。"))
    return person


def person_audience(viewer: Any, person: Person) -> Audience:
    """Which masks apply when ``viewer`` sees ``person``: none for the person himself, the staff
    masks for staff, the public masks for anyone else (same rule as ``reveal_id_number``)."""
    if person.user_id and person.user_id == getattr(viewer, "pk", None):
        return Audience.OWNER
    if getattr(viewer, "kind", None) == User.Kind.STAFF:
        return Audience.STAFF
    return Audience.PUBLIC


def enterprises_visible_to(user: Any) -> QuerySet[Enterprise]:
    """A citizen sees the enterprises he represents or is an active agent for; region-subtree
    staff see enterprises registered in their region; everyone else none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Enterprise.objects.none()
    if user.kind == User.Kind.PERSON:
        return Enterprise.objects.filter(
            Q(legal_representative__user_id=user.pk)
            | Q(agents__person__user_id=user.pk, agents__is_active=True)
        ).distinct()
    prefixes = _person_region_prefixes(user)
    if not prefixes:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(_in_regions(prefixes))


def get_enterprise_for_user(user: Any, enterprise_id: int) -> Enterprise:
    enterprise = enterprises_visible_to(user).filter(pk=enterprise_id).first()
    if enterprise is None:
        raise NotFound("enterprise_not_found", _("企业不存在或您无权查看。"))
    return enterprise


def id_number_index(id_number: str) -> str:
    """The blind index of a (validated, normalised) ID number."""
    return blind_index(blind_index_key(), id_number)


def find_person_by_id_number(id_number: str) -> Person | None:
    """Exact lookup through the blind index; raises ValidationFailed for a malformed number.

    Not permission-checked: for services (registration, OIDC sign-in, counter intake) only.
    """
    number = validate_resident_id(id_number).number
    return Person.objects.filter(id_number_index=id_number_index(number)).first()


def decrypt_id_number(person: Person) -> str:
    """The plain ID number. Internal: callers showing it to a person use
    ``services.reveal_id_number``, which masks it and records the access."""
    aad = ID_NUMBER_AAD_PREFIX + person.id_number_index.encode()
    return sm4_gcm_decrypt(field_encryption_key(), bytes(person.id_number_encrypted), aad).decode()


def own_masked_id_number(user: Any) -> str:
    """The user's own ID number masked as for staff (front 6, back 4), or "" when none.

    Used for "who am I" displays; the masked form needs no access record.
    """
    if not getattr(user, "is_authenticated", False):
        return ""
    person = Person.objects.filter(user_id=user.pk).first()
    if person is None:
        return ""
    return mask(Kind.ID_NUMBER, decrypt_id_number(person), Audience.STAFF)


# --- tokens and demo personas --------------------------------------------------------------------


def api_tokens_of(user: Any) -> QuerySet[ApiToken]:
    if not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def get_api_token_for_user(user: Any, token_id: int) -> ApiToken:
    token = api_tokens_of(user).filter(pk=token_id).first()
    if token is None:
        raise NotFound("token_not_found", _("令牌不存在或您无权查看。"))
    return token


def demo_personas() -> list[tuple[User, str]]:
    """The demo users with their persona label, in the order of the demo script.

    Empty unless ``settings.YIWANG_DEMO``: the persona switcher never lists real accounts.
    """
    if not settings.YIWANG_DEMO:
        return []
    from yiwang.accounts.demo import PERSONAS  # demo data lives apart from production code

    users = {
        u.username: u for u in User.objects.filter(username__in=[p.username for p in PERSONAS])
    }
    return [(users[p.username], p.label) for p in PERSONAS if p.username in users]
