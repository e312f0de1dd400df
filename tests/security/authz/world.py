"""Personas and the ``World``: a small government built afresh for each test."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Model
from django.test import Client

from yiwang.accounts import selectors, services
from yiwang.accounts.models import ApiToken, Department, Role, User
from yiwang.accounts.tests.factories import (
    PASSWORD,
    enrol_totp,
    login_as,
    make_department,
    make_person,
    make_region,
    make_role,
)
from yiwang.core.masking import Audience, Kind, mask

if TYPE_CHECKING:
    from tests.security.authz.entries import ObjectEntry


ANONYMOUS = "anonymous"
CITIZEN_A = "citizen_a"  # lives in district A
CITIZEN_B = "citizen_b"  # lives in district B
CLERK_A = "clerk_a"  # counter clerk of department A (district A), region-subtree scope
CLERK_B = "clerk_b"  # counter clerk of department B (district B), the sibling department
OUTSIDER_STAFF = "outsider_staff"  # a staff account holding no role at all
AUDITOR = "auditor"  # the audit administrator (三员: reads the ledger, nothing else)
SYSTEM_ADMIN = "system_admin"
SECURITY_ADMIN = "security_admin"
SUPERUSER = "superuser"  # a Django superuser (createsuperuser); the admin site only
STAFF_PENDING_TOTP = "staff_pending_totp"  # password passed, TOTP enrolled, code not yet given
STAFF_WITHOUT_TOTP = "staff_without_totp"  # password passed, must enrol TOTP first

SESSION = "session"
TOKEN = "token"

# Regions: two sibling districts of one city (GB/T 2260 codes of 杭州市 上城区 and 拱墅区).
CITY = "330100000000"
DISTRICT_A = "330102000000"
DISTRICT_B = "330105000000"

# Capabilities of the counter clerks' role (窗口受理员); apps that check capabilities add theirs.
CLERK_CAPABILITIES: tuple[str, ...] = ("accounts.register_person",)


@dataclass(frozen=True)
class Persona:
    name: str
    build: Callable[[World], User]
    second_factor: bool = True  # staff sessions: the TOTP step has been passed


PERSONAS: dict[str, Persona] = {}


def register_persona(
    name: str, build: Callable[[World], User], *, second_factor: bool = True
) -> None:
    """Add a persona for later apps (e.g. a hotline agent); ``build`` makes the user."""
    PERSONAS[name] = Persona(name, build, second_factor)


def _citizen(username: str, name: str, region: str) -> Callable[[World], User]:
    def build(world: World) -> User:
        user = services.create_user_account(
            username, kind=User.Kind.PERSON, display_name=name, password=PASSWORD
        )
        make_person(name, region=world.region(region), user=user)
        user.refresh_from_db()
        return user

    return build


def _staff(
    username: str,
    name: str,
    department: str | None,
    *,
    scope: str = Role.Scope.OWN_DEPARTMENT,
    admin_duty: str = "",
    clerk: bool = False,
    totp: bool = False,
) -> Callable[[World], User]:
    def build(world: World) -> User:
        user = services.create_user_account(
            username, kind=User.Kind.STAFF, display_name=name, password=PASSWORD
        )
        if department is not None:
            capabilities = tuple(sorted(CLERK_CAPABILITIES)) if clerk else ()
            code = "authz-counter-clerk" if clerk else None
            role = make_role(scope, admin_duty=admin_duty, capabilities=capabilities, code=code)
            services.grant_role(None, user, world.department(department), role)
        if totp:
            enrol_totp(user)
        user.refresh_from_db()
        return user

    return build


def _superuser(world: World) -> User:
    return User.objects.create_superuser("root.superuser", "root@example.cn", PASSWORD)


register_persona(CITIZEN_A, _citizen("alice.citizen", "艾丽斯", DISTRICT_A))
register_persona(CITIZEN_B, _citizen("bob.citizen", "鲍勃", DISTRICT_B))
register_persona(
    CLERK_A, _staff("carol.clerk", "卡萝尔", "a", scope=Role.Scope.REGION_SUBTREE, clerk=True)
)
register_persona(
    CLERK_B, _staff("dan.clerk", "丹尼尔", "b", scope=Role.Scope.REGION_SUBTREE, clerk=True)
)
register_persona(OUTSIDER_STAFF, _staff("erin.staff", "艾琳", None))
register_persona(AUDITOR, _staff("frank.auditor", "弗兰克", "admin", admin_duty="audit"))
register_persona(
    SYSTEM_ADMIN,
    _staff(
        "grace.sysadmin", "格蕾丝", "admin", scope=Role.Scope.REGION_SUBTREE, admin_duty="system"
    ),
)
register_persona(
    SECURITY_ADMIN,
    _staff(
        "heidi.secadmin", "海蒂", "admin", scope=Role.Scope.REGION_SUBTREE, admin_duty="security"
    ),
)
register_persona(SUPERUSER, _superuser)
register_persona(
    STAFF_PENDING_TOTP,
    _staff("ivan.pending", "伊万", "a", totp=True),
    second_factor=False,
)
register_persona(STAFF_WITHOUT_TOTP, _staff("judy.newcomer", "朱迪", "a"), second_factor=False)

# The personas whose data every leak check looks for.
CORE_PERSONAS: tuple[str, ...] = (
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    AUDITOR,
)


class World:
    """A small government for one test: two sibling district departments under a city bureau,
    an administration department, and the personas, each built on first use."""

    def __init__(self) -> None:
        self._users: dict[str, User] = {}
        self._tokens: dict[str, tuple[ApiToken, str]] = {}
        self._departments: dict[str, Department] = {}
        self._objects: dict[int, Model] = {}

    # places
    def region(self, code: str) -> Any:
        return make_region(code)

    def department(self, key: str) -> Department:
        """``parent`` (city bureau), ``a`` and ``b`` (its district branches), ``admin``."""
        if key not in self._departments:
            if key == "parent":
                made = make_department("示范市市场监督管理局", region=CITY)
            elif key == "a":
                made = make_department(
                    "上城区分局", region=DISTRICT_A, parent=self.department("parent")
                )
            elif key == "b":
                made = make_department(
                    "拱墅区分局", region=DISTRICT_B, parent=self.department("parent")
                )
            elif key == "admin":
                made = make_department("示范市大数据管理局", region=CITY)
            else:
                raise KeyError(f"no department {key!r} in the authz world")
            self._departments[key] = made
        return self._departments[key]

    # people
    def user(self, persona: str) -> User | None:
        if persona == ANONYMOUS:
            return None
        if persona not in self._users:
            try:
                spec = PERSONAS[persona]
            except KeyError:
                raise KeyError(f"unknown persona {persona!r}; see authz.PERSONAS") from None
            self._users[persona] = spec.build(self)
        return self._users[persona]

    def must(self, persona: str) -> User:
        user = self.user(persona)
        assert user is not None, f"{persona} has no account"
        return user

    def token(self, persona: str) -> tuple[ApiToken, str]:
        """The persona's own API token (row, plain text), made on first use."""
        if persona not in self._tokens:
            user = self.must(persona)
            self._tokens[persona] = services.create_api_token(
                user, f"{user.username} 的测试令牌", by=user
            )
        return self._tokens[persona]

    def everyone(self) -> None:
        """Materialise the core personas and their tokens, so that leak checks have data."""
        for persona in CORE_PERSONAS:
            self.token(persona)

    def client(self, persona: str, transport: str = SESSION) -> Client:
        if persona == ANONYMOUS:
            return Client()
        if transport == TOKEN:
            return Client(headers={"Authorization": f"Bearer {self.token(persona)[1]}"})
        return login_as(Client(), self.must(persona), second_factor=PERSONAS[persona].second_factor)

    def secrets(self, persona: str) -> set[str]:
        """What only ``persona`` (and those entitled) may see: account and personal data."""
        user = self._users.get(persona)
        if user is None:
            return set()
        found = {user.username, user.display_name}
        for token in ApiToken.objects.filter(user=user):
            found |= {token.name, token.prefix}
        person = getattr(user, "person", None)
        if person is not None:
            number = selectors.decrypt_id_number(person)
            found |= {number, mask(Kind.ID_NUMBER, number, Audience.STAFF), person.name}
        return {s for s in found if s}

    def foreign_secrets(self, persona: str, may_see: Iterable[str] = ()) -> dict[str, str]:
        """Secrets of every built persona other than ``persona`` and ``may_see`` → owner."""
        allowed = {persona, *may_see}
        return {
            secret: other
            for other in self._users
            if other not in allowed
            for secret in self.secrets(other)
        }

    def obj(self, entry: ObjectEntry) -> Model:
        if id(entry) not in self._objects:
            self._objects[id(entry)] = entry.make(self)
        return self._objects[id(entry)]
