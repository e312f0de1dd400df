"""Authorisation matrix entries for e-licences (电子证照): the holder's wallet and licences, share
links, the issuing department's status changes and issuance, 一证通办 lookups for a case, and the
public verification pages and key directory (see tests/security/authz/)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.security.authz import (
    ANONYMOUS,
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    CORE_PERSONAS,
    OUTSIDER_STAFF,
    Case,
    Listing,
    Owned,
    Page,
    Parameterised,
    Public,
    Restricted,
    Scoped,
    World,
    register_persona,
)
from tests.security.authz.asserts import assert_no_leak, body, describe, send, with_query
from tests.security.matrix_cases import CASE_CLERK_A
from yiwang.accounts.models import Role, User
from yiwang.accounts.selectors import decrypt_id_number
from yiwang.accounts.tests.factories import make_citizen
from yiwang.cases import services as case_services
from yiwang.cases.tests.factories import make_item, staff_with_role
from yiwang.licences import selectors, services
from yiwang.licences.models import Licence, LicenceType, LicenceUse, ShareLink
from yiwang.licences.tests.factories import make_licence_type

LICENCE_OFFICER_A = "licence_officer_a"  # licences.issue + licences.manage in department A
LICENCE_OFFICER_B = "licence_officer_b"  # the same in department B (the sibling department)


def _licence_officer(department: str) -> Callable[[World], User]:
    def build(world: World) -> User:
        return staff_with_role(
            world.department(department),
            "licence_officer",
            ("licences.issue", "licences.manage"),
            scope=Role.Scope.OWN_DEPARTMENT,
        )

    return build


register_persona(LICENCE_OFFICER_A, _licence_officer("a"))
register_persona(LICENCE_OFFICER_B, _licence_officer("b"))

_serial = itertools.count(1)


def _cache(world: World) -> dict[str, Any]:
    return world.__dict__.setdefault("_licence_objects", {})


def _licence_type(world: World) -> LicenceType:
    cache = _cache(world)
    if "type" not in cache:
        cache["type"] = make_licence_type(name="授权矩阵小吃店许可证")
    return cache["type"]


def _issue(world: World, user: User) -> Licence:
    return services.issue(
        licence_type=_licence_type(world),
        issuer=world.department("a"),
        content={"holder_name": user.person.name, "shop_name": f"授权矩阵小吃店{next(_serial)}"},
        holder_person=user.person,
    )


def _citizens_licence(world: World) -> Licence:
    """A licence of department A held by citizen A."""
    return _issue(world, world.must(CITIZEN_A))


def _share_link(world: World) -> ShareLink:
    user = world.must(CITIZEN_A)
    return services.create_share_link(user, _citizens_licence(world), hours=24).link


def _marker(licence: Licence) -> str:
    """What finds the licence in a page: its type's name (its id is in every URL of it, so error
    pages and problem+json ``instance`` repeat it)."""
    return licence.type.name


def _licence_id(licence: Licence) -> dict[str, str]:
    return {"licence_id": licence.licence_id}


LICENCE_OUTSIDERS = (*[p for p in CORE_PERSONAS if p != CITIZEN_A], LICENCE_OFFICER_B)
HOLDER_ONLY_OUTSIDERS = (*LICENCE_OUTSIDERS, LICENCE_OFFICER_A)  # staff see, never share


# --- issuance by hand ----------------------------------------------------------------------------


def _issue_form(world: World, persona: str) -> dict[str, str]:
    holder = world.must(CITIZEN_A)
    return {
        "type": _licence_type(world).code,
        "form_token": f"authz-{next(_serial)}",
        "holder_id": decrypt_id_number(holder.person),
        "issuer": str(world.department("a").pk),
        "content_holder_name": holder.person.name,
        "content_shop_name": "授权矩阵制证小店",
    }


def _issue_json(world: World, persona: str) -> dict[str, Any]:
    holder = world.must(CITIZEN_A)
    return {
        "type_code": _licence_type(world).code,
        "issuer_uscc": world.department("a").uscc,
        "holder_id": decrypt_id_number(holder.person),
        "content": {"holder_name": holder.person.name, "shop_name": "授权矩阵制证小店"},
    }


# --- 一证通办 ------------------------------------------------------------------------------------


def _case_with_licence(world: World) -> dict[str, Any]:
    """A case of department A whose applicant (not a persona: his data may be shown to the
    clerk) holds a licence of department A."""
    applicant = make_citizen()
    item = make_item(
        world.department("a"),
        name=f"授权矩阵证照调用事项{next(_serial)}",
        fields=[{"key": "shop_name", "label": "店铺名称", "type": "text"}],
        materials=[],
    )
    case = case_services.submit_online(applicant, item, {"shop_name": "授权矩阵小店"}, {})
    _issue(world, applicant)
    return {"case": case, "holder_id": decrypt_id_number(applicant.person)}


class CaseLookup(Parameterised):
    """``Parameterised`` whose query string is built from the object made for the test."""

    def __init__(self, selector: str, *, query_of: Callable[[Any], Mapping[str, Any]], **kw: Any):
        super().__init__(selector, **kw)
        self.query_of = query_of

    def url_for(self, endpoint: Any, obj: Any) -> str:
        return with_query(endpoint.url(self.kwargs(obj)), self.query_of(obj))


# --- public pages and operations -----------------------------------------------------------------


def _public_objects(world: World) -> dict[str, Any]:
    """A licence held by a citizen who is no persona (a shared licence shows his name), its
    JSON form and a live share link's token."""
    cache = _cache(world)
    if "public" not in cache:
        holder = make_citizen()
        licence = _issue(world, holder)
        made = services.create_share_link(holder, licence, hours=24)
        cache["public"] = {
            "licence": licence,
            "form": selectors.json_form_of(licence),
            "token": made.token,
        }
    return cache["public"]


class PublicWith(Public):
    """Public, for a URL, query or body that needs a licence made for the test: ``url(endpoint,
    made)`` builds the URL, ``body(made)`` the request body (``multipart``: as a file upload)."""

    def __init__(
        self,
        selector: str | Sequence[str],
        *,
        url: Callable[[Any, dict[str, Any]], str],
        body: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        multipart: bool = False,
        status: Mapping[str, int] | None = None,
        note: str = "",
    ) -> None:
        super().__init__(selector, status=status, note=note)
        self.build_url = url
        self.build_body = body
        self.multipart = multipart

    def run(self, case: Case, world: World) -> None:
        world.everyone()
        made = _public_objects(world)
        url = self.build_url(case.endpoint, made)
        client = world.client(case.persona)
        payload = self.build_body(made) if self.build_body and case.method != "GET" else None
        if self.multipart and payload is not None:
            response = getattr(client, case.method.lower())(url, payload)
        else:
            response = send(client, case.method, url, api=case.endpoint.is_api, payload=payload)
        expected = self.expect[case.persona][case.method]
        assert response.status_code == expected, (
            f"{case}: expected {expected}, got {describe(response)}"
        )
        assert_no_leak(body(response), world.foreign_secrets(case.persona), str(case))

    def page(self, world: World, endpoint: Any) -> Page | None:
        if "GET" not in endpoint.methods:
            return None
        return Page(ANONYMOUS, self.build_url(endpoint, _public_objects(world)))


def _verify_form(world: World) -> dict[str, str]:
    return {"licence_id": _public_objects(world)["licence"].licence_id}


def _json_upload(made: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(made["form"], ensure_ascii=False).encode()
    return {"file": SimpleUploadedFile("licence.json", raw, "application/json")}


ENTRIES = [
    # Lists filtered to the caller; proven by the Owned/Scoped entries below.
    Listing(("GET /api/v1/licences/mine", "licences:mine", "licences:index")),
    Listing("licences:manage", personas=(LICENCE_OFFICER_A,)),
    # A licence: its holder's (and the issuing department's staff, whose look is recorded).
    Owned(
        (
            "GET /api/v1/licences/{licence_id}",
            "GET /api/v1/licences/{licence_id}/json",
            "licences:detail",
            "licences:json",
            "licences:pdf",
        ),
        make=_citizens_licence,
        owner=CITIZEN_A,
        outsiders=LICENCE_OUTSIDERS,
        kwargs=_licence_id,
        lists=("GET /api/v1/licences/mine", "licences:mine", "licences:index"),
        marker=_marker,
    ),
    # Sharing: the holder alone (issuing staff see the licence but may not share it).
    Owned(
        ("POST /api/v1/licences/{licence_id}/share-links", "licences:share_create"),
        make=_citizens_licence,
        owner=CITIZEN_A,
        outsiders=HOLDER_ONLY_OUTSIDERS,
        kwargs=_licence_id,
        marker=_marker,
        payloads={"POST": {"hours": 24}},
    ),
    Owned(
        ("DELETE /api/v1/licences/share-links/{link_id}", "licences:share_revoke"),
        make=_share_link,
        owner=CITIZEN_A,
        outsiders=HOLDER_ONLY_OUTSIDERS,
        kwargs=lambda link: {"link_id": link.pk, "licence_id": link.licence.licence_id},
    ),
    # 撤销/注销/吊销/失效: licences.manage of the issuing department; the holder too is refused.
    Scoped(
        ("POST /api/v1/licences/{licence_id}/status", "licences:change_status"),
        make=_citizens_licence,
        owner=LICENCE_OFFICER_A,
        outsiders=(
            LICENCE_OFFICER_B,
            CLERK_A,
            CLERK_B,
            OUTSIDER_STAFF,
            CITIZEN_A,
            CITIZEN_B,
            AUDITOR,
        ),
        kwargs=_licence_id,
        lists=("licences:manage",),
        marker=_marker,
        payloads={"POST": {"action": "revoke", "reason": "授权矩阵测试"}},
    ),
    # 制证 (issuance by hand): licences.issue for the issuing department.
    Restricted(
        "licences:issue",
        allowed=(LICENCE_OFFICER_A,),
        payloads={"POST": _issue_form},
        counts=(Licence,),
    ),
    Restricted(
        "POST /api/v1/licences/issue",
        allowed=(LICENCE_OFFICER_A,),
        payloads={"POST": _issue_json},
        counts=(Licence,),
    ),
    # 一证通办: a clerk of the case's department, with a purpose; every use is recorded.
    CaseLookup(
        "GET /api/v1/licences/lookup",
        make=_case_with_licence,
        query_of=lambda made: {
            "case": made["case"].number,
            "holder_id": made["holder_id"],
            "purpose": "授权矩阵测试：核验经营资格",
        },
        allowed=(CASE_CLERK_A,),
        refused=(
            CITIZEN_A,
            CITIZEN_B,
            CLERK_A,
            CLERK_B,
            OUTSIDER_STAFF,
            AUDITOR,
            LICENCE_OFFICER_A,
        ),
        counts=(LicenceUse,),
    ),
    # The clerk's page of the same: the party is chosen, never typed.
    Parameterised(
        "licences:case_licences",
        make=_case_with_licence,
        kwargs=lambda made: {"number": made["case"].number},
        allowed=(CASE_CLERK_A,),
        refused=(
            CITIZEN_A,
            CITIZEN_B,
            CLERK_A,
            CLERK_B,
            OUTSIDER_STAFF,
            AUDITOR,
            LICENCE_OFFICER_A,
        ),
        payloads={"POST": {"party": "applicant", "purpose": "授权矩阵测试：核验经营资格"}},
        counts=(LicenceUse,),
    ),
    # Public: verification and the key directory show no one's personal data.
    Public(("licences:keys", "GET /api/v1/licences/keys"), note="The public key directory."),
    Public(
        "licences:verify",
        status={"GET": 200, "POST": 200},
        payloads={"POST": _verify_form},
        note="The verification form; a typed id gives the result page.",
    ),
    PublicWith(
        "licences:verify_reference",
        url=lambda endpoint, made: (
            endpoint.url(_licence_id(made["licence"])) + f"?d={made['licence'].digest_short}"
        ),
        note="The QR code's target.",
    ),
    PublicWith(
        "GET /api/v1/licences/verify",
        url=lambda endpoint, made: with_query(
            endpoint.url(),
            {"licence_id": made["licence"].licence_id, "digest": made["licence"].digest_short},
        ),
        note="Verification by reference (the benchmarked path).",
    ),
    PublicWith(
        "POST /api/v1/licences/verify",
        url=lambda endpoint, made: endpoint.url(),
        body=lambda made: {
            "document": made["form"]["document"],
            "signature": made["form"]["signature"],
        },
        status={"POST": 200},
        note="Verification of a presented JSON form.",
    ),
    PublicWith(
        "POST /api/v1/licences/verify/file",
        url=lambda endpoint, made: endpoint.url(),
        body=_json_upload,
        multipart=True,
        status={"POST": 200},
        note="Verification of a presented file.",
    ),
    PublicWith(
        "licences:key_pem",
        url=lambda endpoint, made: endpoint.url({"key_id": made["licence"].key.key_id}),
        note="A public key as PEM.",
    ),
    PublicWith(
        "licences:shared",
        url=lambda endpoint, made: endpoint.url({"token": made["token"]}),
        note="A licence its holder shared: anyone with the link sees it (ID number masked).",
    ),
]
