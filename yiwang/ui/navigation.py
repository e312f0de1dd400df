"""The site navigation: which links a user sees, built in one place and cached per request.

``build_navigation(user, path)`` is a pure function of the user's kind, roles and the URL
configuration: an entry whose URL name does not resolve (its app is not installed yet) is left
out, so the header never shows a dead link. ``navigation_for(request)`` caches the result on the
request, because the header renders it twice (desktop bar and mobile menu).

Audiences:

- anonymous visitors and citizens (``User.Kind.PERSON``) see the public sections and their own;
- staff see the workbench entries their business roles open, by role code (``Role.code``) or by
  capability (``Role.capabilities``, e.g. ``cases.review``);
- administrators see the admin site according to 三员分立: system and security administrators
  get 管理后台, the audit administrator only 审计日志 (the ledger's changelist).

To add an entry, append a ``NavSpec`` to ``NAV_SPECS``; order in the list is order on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.selectors import active_staff_roles

ANONYMOUS = "anonymous"
PERSON = "person"
STAFF = "staff"

# Role.AdminDuty values (yiwang.accounts.models).
DUTY_SYSTEM = "system"
DUTY_SECURITY = "security"
DUTY_AUDIT = "audit"

_REQUEST_CACHE_ATTRIBUTE = "_yiwang_navigation"


@dataclass(frozen=True)
class NavSpec:
    """One possible entry. Shown when the URL resolves and the user is in its audience.

    ``audiences``: which kinds of user see it (anonymous, person, staff); ``EVERYONE`` for all.
    For staff, ``role_codes`` and ``capability_prefixes`` say which business roles (roles without
    an admin duty) open it: a role with one of the codes, or with a capability starting with one
    of the prefixes; when both are empty any business role does. ``admin_duties``:
    administrators with one of these duties see it regardless of audience.
    """

    key: str
    label: str | Promise
    url_name: str
    audiences: frozenset[str] = frozenset()
    role_codes: frozenset[str] = frozenset()
    capability_prefixes: tuple[str, ...] = ()
    admin_duties: frozenset[str] = frozenset()
    url_args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url: str
    current: bool = False


@dataclass(frozen=True)
class Navigation:
    audience: str
    items: tuple[NavItem, ...] = ()
    admin_duties: frozenset[str] = field(default_factory=frozenset)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]


EVERYONE = frozenset({ANONYMOUS, PERSON, STAFF})
_PUBLIC = frozenset({ANONYMOUS, PERSON})
_STAFF = frozenset({STAFF})

NAV_SPECS: tuple[NavSpec, ...] = (
    NavSpec("home", _("首页"), "ui:home", EVERYONE),
    # Public sections (shown once their apps exist).
    NavSpec("services", _("办事服务"), "catalog:index", _PUBLIC),
    NavSpec("hotline", _("12345 诉求"), "hotline:citizen_new", _PUBLIC),
    NavSpec("ratings", _("好差评"), "ratings:public", _PUBLIC),
    NavSpec("opendata", _("数据开放"), "opendata:index", _PUBLIC),
    NavSpec("verify_licence", _("证照核验"), "licences:verify", EVERYONE),
    # A citizen's own space.
    NavSpec("my_cases", _("我的办件"), "cases:mine", frozenset({PERSON})),
    NavSpec("my_licences", _("我的证照"), "licences:mine", frozenset({PERSON})),
    NavSpec("my_tickets", _("我的诉求"), "hotline:my_tickets", frozenset({PERSON})),
    NavSpec("my_ratings", _("我的评价"), "ratings:mine", frozenset({PERSON})),
    NavSpec("vault", _("个人数据宝"), "vault:index", frozenset({PERSON})),
    # Staff workbenches, opened by business roles (codes of the demo roles, capabilities).
    NavSpec(
        "workbench",
        _("办件工作台"),
        "cases:worklist",
        _STAFF,
        role_codes=frozenset({"counter_clerk", "reviewer", "approver"}),
        capability_prefixes=("cases.",),
    ),
    NavSpec(
        "licence_desk",
        _("证照管理"),
        "licences:manage",
        _STAFF,
        capability_prefixes=("licences.issue", "licences.manage"),
    ),
    NavSpec(
        "hotline_desk",
        _("12345 工单"),
        "hotline:agent_desk",
        _STAFF,
        role_codes=frozenset({"hotline_agent"}),
        capability_prefixes=("hotline.intake", "hotline.dispatch"),
    ),
    NavSpec(
        "hotline_department",
        _("承办工单"),
        "hotline:department_worklist",
        _STAFF,
        role_codes=frozenset({"hotline_handler"}),
        capability_prefixes=("hotline.handle",),
    ),
    NavSpec(
        "rating_reviews",
        _("差评整改"),
        "ratings:reviews",
        _STAFF,
        role_codes=frozenset({"rating_handler", "rating_supervisor"}),
        capability_prefixes=("ratings.",),
    ),
    NavSpec(
        "datahub",
        _("数据共享"),
        "datahub:index",
        _STAFF,
        role_codes=frozenset({"data_officer"}),
        capability_prefixes=("datahub.", "exchange."),
    ),
    NavSpec(
        "supervision",
        _("互联网+监管"),
        "supervision:index",
        _STAFF,
        role_codes=frozenset({"inspector"}),
        capability_prefixes=("supervision.", "credit."),
    ),
    NavSpec("office", _("协同办公"), "office:index", _STAFF),
    NavSpec(
        "insight",
        _("决策辅助"),
        "insight:dashboard",
        _STAFF,
        role_codes=frozenset({"leader"}),
        capability_prefixes=("insight.",),
    ),
    # Administrators (三员分立).
    NavSpec(
        "admin", _("管理后台"), "admin:index", admin_duties=frozenset({DUTY_SYSTEM, DUTY_SECURITY})
    ),
    NavSpec(
        "audit_log",
        _("审计日志"),
        "admin:core_ledgerentry_changelist",
        admin_duties=frozenset({DUTY_AUDIT}),
    ),
    # Last for visitors: the way in.
    NavSpec("login", _("登录"), "accounts:login", frozenset({ANONYMOUS})),
)


def safe_reverse(url_name: str, args: Iterable[Any] = ()) -> str | None:
    """The URL for ``url_name``, or ``None`` when it is not configured (yet)."""
    try:
        return reverse(url_name, args=tuple(args))
    except NoReverseMatch:
        return None


@dataclass(frozen=True)
class _Grants:
    """What a staff user's active roles give: business role codes, capabilities, admin duties."""

    role_codes: frozenset[str] = frozenset()
    capabilities: frozenset[str] = frozenset()
    duties: frozenset[str] = frozenset()


def _grants_of(user: Any) -> _Grants:
    codes: set[str] = set()
    capabilities: set[str] = set()
    duties: set[str] = set()
    for staff_role in active_staff_roles(user):
        role = staff_role.role
        if role.admin_duty:
            duties.add(role.admin_duty)
        else:
            codes.add(role.code)
            capabilities.update(str(c) for c in (role.capabilities or []))
    return _Grants(frozenset(codes), frozenset(capabilities), frozenset(duties))


def _audience_of(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    return str(getattr(user, "kind", PERSON))


def _opens(spec: NavSpec, grants: _Grants) -> bool:
    """Whether a staff user's business roles open a staff entry."""
    if not grants.role_codes:
        # An administrator's account holds an admin duty and no business role (三员分立).
        return False
    if not spec.role_codes and not spec.capability_prefixes:
        return True
    if spec.role_codes & grants.role_codes:
        return True
    return any(c.startswith(spec.capability_prefixes) for c in grants.capabilities)


def _visible(spec: NavSpec, audience: str, grants: _Grants) -> bool:
    if spec.admin_duties & grants.duties:
        return True
    if audience not in spec.audiences:
        return False
    if audience != STAFF or spec.audiences == EVERYONE:
        return True
    return _opens(spec, grants)


def _current_key(items: list[NavItem], path: str) -> str | None:
    """The entry whose URL is the longest prefix of ``path`` (the home page only on itself)."""
    best: tuple[int, str] | None = None
    for item in items:
        matches = path == item.url if item.url == "/" else path.startswith(item.url)
        if matches and (best is None or len(item.url) > best[0]):
            best = (len(item.url), item.key)
    return best[1] if best else None


def build_navigation(user: Any, path: str = "/") -> Navigation:
    """The navigation for ``user`` on the page at ``path``."""
    audience = _audience_of(user)
    grants = _grants_of(user) if audience == STAFF else _Grants()
    if getattr(user, "is_superuser", False):
        grants = _Grants(grants.role_codes, grants.capabilities, grants.duties | {DUTY_SYSTEM})

    items: list[NavItem] = []
    for spec in NAV_SPECS:
        if not _visible(spec, audience, grants):
            continue
        url = safe_reverse(spec.url_name, spec.url_args)
        if url is None:
            continue
        items.append(NavItem(spec.key, spec.label, url))

    current = _current_key(items, path)
    items = [NavItem(item.key, item.label, item.url, current=item.key == current) for item in items]
    return Navigation(audience=audience, items=tuple(items), admin_duties=grants.duties)


def navigation_for(request: HttpRequest) -> Navigation:
    """``build_navigation`` for the request's user and path, computed once per request."""
    cached = getattr(request, _REQUEST_CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = build_navigation(getattr(request, "user", None), request.path)
        setattr(request, _REQUEST_CACHE_ATTRIBUTE, cached)
    return cached
