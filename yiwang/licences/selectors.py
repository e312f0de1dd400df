"""Reads of the e-licence app, permission-checked: a licence is visible to its holder (the person,
or the enterprise's legal representative and active agents) and to staff of the issuing
department's scope; everyone else gets 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.accounts.models import Enterprise, Person, User
from yiwang.cases.services.base import staff_can
from yiwang.core.crypto import field_encryption_key, sm4_gcm_decrypt
from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.licences import documents
from yiwang.licences.models import Licence, LicenceEvent, LicenceType, LicenceUse, ShareLink

STAFF_READ = ("licences.issue", "licences.manage")


def _person(user: Any) -> Person | None:
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.PERSON:
        return None
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def enterprises_acted_for(person: Person) -> QuerySet[Enterprise]:
    return Enterprise.objects.filter(
        Q(legal_representative=person) | Q(agents__person=person, agents__is_active=True)
    ).distinct()


def holder_q(user: Any) -> Q | None:
    person = _person(user)
    if person is None:
        return None
    return Q(holder_person=person) | Q(
        holder_enterprise__in=enterprises_acted_for(person).values("pk")
    )


def wallet(user: Any) -> QuerySet[Licence]:
    """The user's licences and those of the enterprises he acts for (持证人钱包)."""
    q = holder_q(user)
    if q is None:
        return Licence.objects.none()
    return (
        Licence.objects.filter(q)
        .select_related("type", "issuer", "holder_enterprise")
        .order_by("-issued_at", "-id")
    )


def is_holder(user: Any, licence: Licence) -> bool:
    q = holder_q(user)
    return q is not None and Licence.objects.filter(q, pk=licence.pk).exists()


def require_holder(user: Any, licence: Licence) -> None:
    if not is_holder(user, licence):
        raise PermissionDenied("not_licence_holder", _("只有持证人可以执行此操作。"))


def is_issuer_staff(user: Any, licence: Licence) -> bool:
    return staff_can(user, STAFF_READ, licence.issuer)


def get_licence_for_user(user: Any, licence_id: str) -> Licence:
    """The licence when ``user`` is its holder or issuing staff; NotFound otherwise."""
    licence = (
        Licence.objects.select_related("type", "issuer", "key", "holder_enterprise")
        .filter(licence_id=str(licence_id or "").strip())
        .first()
    )
    if licence is None or not (is_holder(user, licence) or is_issuer_staff(user, licence)):
        raise NotFound("licence_not_found", _("电子证照不存在。"))
    return licence


def issued_by_departments(user: Any) -> QuerySet[Licence]:
    """Licences the user's departments issued (for issuing staff)."""
    from yiwang.accounts.selectors import active_staff_roles

    ids = [
        sr.department_id
        for sr in active_staff_roles(user)
        if set(sr.role.capabilities or []) & set(STAFF_READ)
    ]
    return (
        Licence.objects.filter(issuer_id__in=ids)
        .select_related("type", "issuer")
        .order_by("-issued_at", "-id")
    )


def document_of(licence: Licence) -> dict[str, Any]:
    """The signed document (decrypted). Callers record the access when it is not the holder."""
    import json

    from yiwang.licences.services import DOCUMENT_AAD

    raw = sm4_gcm_decrypt(
        field_encryption_key(),
        bytes(licence.document_encrypted),
        aad=DOCUMENT_AAD + licence.licence_id.encode(),
    )
    return dict(json.loads(raw.decode("utf-8")))


def json_form_of(licence: Licence) -> dict[str, Any]:
    return documents.json_form(
        document_of(licence), bytes(licence.signature), licence.key.public_hex
    )


def events_of(licence: Licence) -> list[LicenceEvent]:
    return list(licence.events.select_related("actor").order_by("at", "id"))


def uses_of(licence: Licence) -> list[LicenceUse]:
    return list(licence.uses.select_related("case", "department", "actor").order_by("-at"))


def share_links_of(user: Any, licence: Licence) -> list[ShareLink]:
    return list(licence.share_links.filter(created_by=user).order_by("-created_at"))


def get_share_link_for_user(user: Any, link_id: int) -> ShareLink:
    link = ShareLink.objects.select_related("licence").filter(pk=link_id).first()
    if link is None or not is_holder(user, link.licence):
        raise NotFound("share_link_not_found", _("分享链接不存在。"))
    return link


def active_types() -> QuerySet[LicenceType]:
    return LicenceType.objects.filter(is_active=True).order_by("code")


def usable_licences_of(
    person: Person | None, enterprise: Enterprise | None, type_code: str = ""
) -> list[Licence]:
    """The subject's valid, unexpired licences (listing only: reading a document logs)."""
    from django.utils import timezone

    indexes = [
        x
        for x in (getattr(person, "id_number_index", None), getattr(enterprise, "uscc", None))
        if x
    ]
    qs = Licence.objects.filter(holder_index__in=indexes, status="valid").select_related(
        "type", "issuer"
    )
    if type_code:
        qs = qs.filter(type__code=type_code)
    today = timezone.localdate()
    return [lic for lic in qs if lic.valid_until is None or lic.valid_until >= today]
