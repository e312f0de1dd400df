"""Natural persons, enterprises and their agents; revealing an ID number with an access record.

ID numbers are validated (GB 11643), encrypted with SM4-GCM and found again through an HMAC-SM3
blind index. The ciphertext's associated data is the blind index, so a ciphertext copied onto
another row fails authentication instead of showing someone else's number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yiwang.accounts.models import Enterprise, EnterpriseAgent, Person, Region, User
from yiwang.accounts.permissions import READ_FULL_ID_NUMBER, has_capability
from yiwang.accounts.selectors import (
    ID_NUMBER_AAD_PREFIX,
    decrypt_id_number,
    get_person_for_user,
    id_number_index,
)
from yiwang.accounts.services.audit import audit
from yiwang.core.crypto import field_encryption_key, sm4_gcm_encrypt
from yiwang.core.errors import Conflict, PermissionDenied, ValidationFailed
from yiwang.core.identifiers import validate_resident_id, validate_uscc
from yiwang.core.masking import Audience, Kind, mask

PERSONAL_DATA_READ = "personal_data.read"


def encrypt_id_number(number: str, index: str) -> bytes:
    return sm4_gcm_encrypt(
        field_encryption_key(), number.encode(), aad=ID_NUMBER_AAD_PREFIX + index.encode()
    )


@transaction.atomic
def register_person(
    name: str,
    id_number: str,
    *,
    phone: str = "",
    address: str = "",
    region: Region | None = None,
    realname_level: int = Person.RealNameLevel.NONE,
    user: User | None = None,
    by: Any = None,
) -> Person:
    """Record a natural person. A second registration of the same ID number → ``person_exists``."""
    number = validate_resident_id(id_number, field="id_number").number
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("person_name_required", _("请填写姓名。"), field="name")
    index = id_number_index(number)
    if Person.objects.filter(id_number_index=index).exists():
        raise Conflict("person_exists", _("该身份证号已登记。"), field="id_number")
    try:
        with transaction.atomic():
            person = Person.objects.create(
                name=name,
                id_number_encrypted=encrypt_id_number(number, index),
                id_number_index=index,
                phone=phone.strip(),
                address=address.strip(),
                region=region,
                realname_level=realname_level,
                user=user,
            )
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("person_exists", _("该身份证号已登记。"), field="id_number") from exc
    audit(
        by,
        "accounts.person.registered",
        person,
        {"realname_level": int(realname_level), "user_id": user.pk if user else None},
    )
    return person


@transaction.atomic
def reveal_id_number(
    viewer: Any, person: Person, purpose: str, *, full: bool = False, access_checked: bool = False
) -> str:
    """The person's ID number as ``viewer`` may see it, with a ``personal_data.read`` record.

    - the person himself gets the full number;
    - staff get the staff mask (front 6, back 4), or the full number with ``full=True`` when a
      role grants ``accounts.read_full_id_number`` (e.g. a counter clerk checking an applicant);
    - anyone else who may see the person gets the public mask.

    A viewer who is not the person needs a purpose (申请事由) and either the person within his
    data scope (``persons_visible_to``) or ``access_checked=True`` from a calling service that has
    established the need itself (e.g. the clerk handling this person's case). Every reveal is
    recorded in the ledger with the subject's id, so the citizen's vault can list it.
    """
    is_owner = bool(person.user_id) and person.user_id == getattr(viewer, "pk", None)
    purpose = (purpose or "").strip()
    if not is_owner:
        if not purpose:
            raise ValidationFailed(
                "purpose_required", _("查看他人身份信息须填写用途（申请事由）。"), field="purpose"
            )
        if not access_checked:
            get_person_for_user(viewer, person.pk)  # NotFound outside the viewer's scope
    if is_owner:
        audience = Audience.OWNER
    elif getattr(viewer, "kind", None) == User.Kind.STAFF:
        audience = Audience.STAFF
    else:
        audience = Audience.PUBLIC
    if full and not is_owner:
        if audience != Audience.STAFF or not has_capability(viewer, READ_FULL_ID_NUMBER):
            raise PermissionDenied(
                "full_id_number_not_allowed", _("您的岗位无权查看完整身份证号。")
            )
        audience = Audience.OWNER
    number = decrypt_id_number(person)
    audit(
        viewer,
        PERSONAL_DATA_READ,
        person,
        {
            "subject_person_id": person.pk,
            "field": "id_number",
            "purpose": purpose,
            "audience": str(audience),
            "full": audience == Audience.OWNER,
        },
    )
    return mask(Kind.ID_NUMBER, number, audience)


@transaction.atomic
def create_enterprise(
    name: str,
    uscc: str,
    legal_representative: Person,
    region: Region,
    *,
    address: str = "",
    by: Any = None,
) -> Enterprise:
    uscc = validate_uscc(uscc, field="uscc")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("enterprise_name_required", _("请填写企业名称。"), field="name")
    if Enterprise.objects.filter(uscc=uscc).exists():
        raise Conflict("enterprise_exists", _("该统一社会信用代码的企业已登记。"), field="uscc")
    enterprise = Enterprise.objects.create(
        name=name,
        uscc=uscc,
        legal_representative=legal_representative,
        region=region,
        address=address.strip(),
    )
    audit(
        by,
        "accounts.enterprise.created",
        enterprise,
        {"uscc": uscc, "legal_representative_id": legal_representative.pk},
    )
    return enterprise


def _require_enterprise_authority(by: Any, enterprise: Enterprise) -> None:
    """Citizens may manage agents only for an enterprise they legally represent."""
    if by is None or getattr(by, "kind", None) == User.Kind.STAFF:
        return
    if enterprise.legal_representative.user_id != by.pk:
        raise PermissionDenied("not_legal_representative", _("只有企业法定代表人可以授权经办人。"))


@transaction.atomic
def add_agent(
    enterprise: Enterprise,
    person: Person,
    *,
    valid_until: dt.date | None = None,
    by: Any = None,
) -> EnterpriseAgent:
    """Authorise ``person`` to act for ``enterprise`` (经办人); re-activates a revoked agent."""
    _require_enterprise_authority(by, enterprise)
    agent = EnterpriseAgent.objects.filter(enterprise=enterprise, person=person).first()
    if agent is not None and agent.is_active:
        raise Conflict("agent_exists", _("此人已是该企业的经办人。"))
    if agent is None:
        agent = EnterpriseAgent.objects.create(
            enterprise=enterprise, person=person, valid_until=valid_until
        )
    else:
        agent.is_active = True
        agent.valid_until = valid_until
        agent.save(update_fields=["is_active", "valid_until"])
    audit(
        by,
        "accounts.enterprise_agent.added",
        agent,
        {
            "enterprise_id": enterprise.pk,
            "person_id": person.pk,
            "valid_until": valid_until.isoformat() if valid_until else None,
        },
    )
    return agent


@transaction.atomic
def remove_agent(agent: EnterpriseAgent, *, by: Any = None) -> EnterpriseAgent:
    _require_enterprise_authority(by, agent.enterprise)
    if agent.is_active:
        agent.is_active = False
        agent.save(update_fields=["is_active"])
        audit(
            by,
            "accounts.enterprise_agent.removed",
            agent,
            {"enterprise_id": agent.enterprise_id, "person_id": agent.person_id},
        )
    return agent
