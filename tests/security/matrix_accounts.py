"""Authorisation matrix entries for accounts: sign-in steps, the profile, API tokens,
departments and the demo persona switcher (see tests/security/authz/)."""

from __future__ import annotations

from tests.security.authz import (
    ANONYMOUS,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    STAFF_PENDING_TOTP,
    STAFF_WITHOUT_TOTP,
    AnonymousFlow,
    Authenticated,
    DemoOnly,
    Listing,
    Owned,
    Restricted,
    Scoped,
    World,
)
from yiwang.accounts import services
from yiwang.accounts.models import ApiToken, Person
from yiwang.accounts.tests.factories import random_id_number


def _backup_token(world: World) -> ApiToken:
    """A second token of citizen A: the object outsiders must neither see nor revoke."""
    user = world.must(CITIZEN_A)
    return services.create_api_token(user, "艾丽斯的备份令牌", by=user)[0]


def _own_token_name(world: World, persona: str) -> str:
    return world.token(persona)[0].name


NEW_TOKEN = {"name": "新建的令牌", "expires_in_days": 30}
PURPOSE = {"purpose": "授权矩阵测试：一窗受理核验"}


def _walk_in_applicant(world: World) -> Person:
    """A person without an account, registered at the counter of clerk A (district A)."""
    return services.register_walk_in_applicant(
        world.must(CLERK_A), "王小明", random_id_number(address_code="330102")
    )


def _new_applicant(world: World, persona: str) -> dict[str, str]:
    return {"name": "李四", "id_number": random_id_number(address_code="330102")}


ENTRIES = [
    # Sign-in steps: reachable before (and half-way through) signing in; they show nobody's data.
    AnonymousFlow(
        "accounts:login",
        expect={
            ANONYMOUS: {"GET": 200, "POST": 200},
            CITIZEN_A: {"GET": 200},
        },
        payloads={"POST": {"username": "nobody.here", "password": "wrong-password"}},
    ),
    AnonymousFlow(
        "accounts:logout",
        expect={ANONYMOUS: {"GET": 405, "POST": 302}, CITIZEN_A: {"POST": 302}},
    ),
    AnonymousFlow(
        "accounts:totp_verify",
        expect={
            ANONYMOUS: {"GET": 302, "POST": 302},
            STAFF_PENDING_TOTP: {"GET": 200},
            STAFF_WITHOUT_TOTP: {"GET": 302},
        },
    ),
    AnonymousFlow(
        "accounts:totp_setup",
        expect={
            ANONYMOUS: {"GET": 302, "POST": 302},
            STAFF_WITHOUT_TOTP: {"GET": 200},
            STAFF_PENDING_TOTP: {"GET": 302},
        },
    ),
    # Who am I: each user sees himself only.
    Authenticated(("accounts:profile", "GET /api/v1/accounts/me")),
    # Lists filtered to the caller; the Owned/Scoped entries below prove the filtering.
    Listing(
        ("GET /api/v1/accounts/tokens", "accounts:tokens"),
        own_marker=_own_token_name,
        payloads={"POST": NEW_TOKEN},
    ),
    Listing("GET /api/v1/accounts/departments"),
    # Minting a token: any signed-in user, by session only (a token cannot mint tokens).
    Authenticated("POST /api/v1/accounts/tokens", own_marker=None, payloads={"POST": NEW_TOKEN}),
    # Another user's token: 404 on every verb, never listed.
    Owned(
        ("DELETE /api/v1/accounts/tokens/{token_id}", "accounts:token_revoke"),
        make=_backup_token,
        owner=CITIZEN_A,
        lists=("GET /api/v1/accounts/tokens", "accounts:tokens"),
        marker=lambda token: token.name,
    ),
    # A department outside the caller's data scope: 404, never listed.
    Scoped(
        "GET /api/v1/accounts/departments/{department_id}",
        make=lambda world: world.department("a"),
        lists=("GET /api/v1/accounts/departments",),
        marker=lambda department: department.name,
    ),
    # Persons (一窗受理): a counter clerk registers walk-in applicants in his region and sees the
    # persons of his region (masked, each view recorded); a citizen sees himself only.
    Restricted(
        "POST /api/v1/accounts/persons",
        allowed=(CLERK_A, CLERK_B),
        payloads={"POST": _new_applicant},
        counts=(Person,),
        idempotency=True,
    ),
    Listing(
        "GET /api/v1/accounts/persons",
        query=PURPOSE,
        may_see={CLERK_A: (CITIZEN_A,), CLERK_B: (CITIZEN_B,)},
    ),
    Scoped(
        "GET /api/v1/accounts/persons/{person_id}",
        make=_walk_in_applicant,
        lists=("GET /api/v1/accounts/persons",),
        marker=lambda person: person.name,
        query=PURPOSE,
    ),
    # The persona switcher exists only in demo mode.
    DemoOnly("accounts:personas"),
]
