"""Factories for accounts: plain functions that make valid regions, departments, persons and users.

Identifiers carry correct check digits (core's ``make_resident_id`` / ``make_uscc``); randomness is
seeded, so a failing test fails the same way twice. Other apps' tests use these too:

    from yiwang.accounts.tests.factories import make_department, make_staff, login_as

    clerk = make_staff(department, scope="own_department")
    login_as(client, clerk)          # session with the second factor already passed
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import pyotp
from django.test import Client

from yiwang.accounts import services
from yiwang.accounts.login_session import LAST_ACTIVITY_KEY, SECOND_FACTOR_KEY
from yiwang.accounts.models import Department, Person, Region, Role, User
from yiwang.core.errors import Conflict
from yiwang.core.identifiers import make_resident_id, make_uscc, region_level, region_parent_code

PASSWORD = "correct-horse-battery"
_rng = random.Random(20240601)
_seq = itertools.count(1)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞")
_LEVEL_NAMES = {
    "province": "省",
    "city": "市",
    "district": "区",
    "township": "街道",
    "village": "社区",
}


def _n() -> int:
    return next(_seq)


def make_region(code: str, name: str | None = None) -> Region:
    """The current region with ``code``, creating it and any missing ancestors."""
    existing = Region.objects.filter(code=code, valid_to__isnull=True).first()
    if existing is not None:
        return existing
    parent_code = region_parent_code(code)
    if parent_code is not None:
        make_region(parent_code)
    return services.create_region(code, name or f"测试{_LEVEL_NAMES[region_level(code)]}{code}")


def make_department(
    name: str | None = None,
    *,
    region: Region | str = "330102000000",
    parent: Department | None = None,
) -> Department:
    if isinstance(region, str):
        region = make_region(region)
    number = _n()
    body = f"{_rng.randrange(10**7):07d}{number % 10}"
    uscc = make_uscc("1", "1", region.code[:6], body)
    while Department.objects.filter(uscc=uscc).exists():  # pragma: no cover - 1 in 10^8
        uscc = make_uscc("1", "1", region.code[:6], f"{_rng.randrange(10**8):08d}")
    return services.create_department(name or f"测试部门{number}", uscc, region, parent=parent)


def random_id_number(
    *, address_code: str = "330102", birth: dt.date | None = None, male: bool | None = None
) -> str:
    birth = birth or dt.date(1950, 1, 1) + dt.timedelta(days=_rng.randrange(365 * 55))
    male = _rng.random() < 0.5 if male is None else male
    sequence = _rng.randrange(0, 499) * 2 + (1 if male else 0)
    return make_resident_id(address_code, birth, sequence)


def random_name() -> str:
    return _rng.choice(_SURNAMES) + "".join(_rng.choice(_GIVEN) for _i in range(_rng.randint(1, 2)))


def make_person(
    name: str | None = None,
    *,
    id_number: str | None = None,
    region: Region | str | None = None,
    user: User | None = None,
) -> Person:
    if isinstance(region, str):
        region = make_region(region)
    while True:
        number = id_number or random_id_number(
            address_code=(region.code[:6] if region else "330102")
        )
        try:
            return services.register_person(
                name or random_name(), number, region=region, user=user, phone="13900000000"
            )
        except Conflict:
            if id_number:
                raise  # the caller chose a duplicate on purpose


def make_role(
    scope: str = Role.Scope.OWN_DEPARTMENT,
    *,
    admin_duty: str = "",
    capabilities: tuple[str, ...] = (),
    code: str | None = None,
) -> Role:
    code = code or f"role-{scope}-{admin_duty or 'none'}-{'-'.join(capabilities) or 'plain'}"
    code = code.replace(".", "-").replace("_", "-")[:50]
    role = Role.objects.filter(code=code).first()
    return role or services.create_role(
        code, code, scope=scope, admin_duty=admin_duty, capabilities=list(capabilities)
    )


def make_user(
    *, kind: str = User.Kind.STAFF, username: str | None = None, password: str = PASSWORD
) -> User:
    return services.create_user_account(
        username or f"{kind}{_n()}",
        kind=kind,
        display_name=random_name(),
        password=password,
    )


def make_staff(
    department: Department | None = None,
    *,
    scope: str = Role.Scope.OWN_DEPARTMENT,
    admin_duty: str = "",
    capabilities: tuple[str, ...] = (),
    username: str | None = None,
    totp: bool = False,
) -> User:
    """A staff user holding one role in ``department`` (a new one by default)."""
    department = department or make_department()
    user = make_user(kind=User.Kind.STAFF, username=username)
    role = make_role(scope, admin_duty=admin_duty, capabilities=capabilities)
    services.grant_role(None, user, department, role)
    if totp:
        enrol_totp(user)
    return user


def make_citizen(*, username: str | None = None, region: Region | str | None = None) -> User:
    user = make_user(kind=User.Kind.PERSON, username=username)
    make_person(user.display_name, region=region, user=user)
    user.refresh_from_db()
    return user


def enrol_totp(user: User, *, at: dt.datetime | None = None) -> str:
    """Enrol and confirm a TOTP secret (the confirming code's step counts as used)."""
    secret = services.begin_totp_enrolment(user)
    at = at or dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=5)
    services.confirm_totp_enrolment(user, pyotp.TOTP(secret).at(at), now=at)
    user.refresh_from_db()
    return secret


def totp_code(user: User, at: dt.datetime | None = None) -> str:
    secret = services.totp_secret(user)
    assert secret
    totp = pyotp.TOTP(secret)
    return totp.at(at) if at is not None else totp.now()


def login_as(client: Client, user: User, *, second_factor: bool = True) -> Client:
    """Sign ``client`` in as ``user``; staff pass the second factor unless told otherwise."""
    client.force_login(user, backend="yiwang.accounts.backends.LockoutAwareBackend")
    session = client.session
    session[SECOND_FACTOR_KEY] = second_factor
    session[LAST_ACTIVITY_KEY] = int(dt.datetime.now(tz=dt.UTC).timestamp())
    session.save()
    return client


def ledger_entries(action: str, **filters: Any) -> list[Any]:
    from yiwang.core.models.ledger import LedgerEntry

    return list(LedgerEntry.objects.filter(action=action, **filters).order_by("seq"))
