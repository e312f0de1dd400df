"""Writes of the e-licence app: issuance (by a case's approval or by an authorised clerk),
status changes, share links and uses of a licence for a case (一证通办).

Every write runs in one transaction, records a ``LicenceEvent`` and a ledger entry, and tells the
holder (in-app; email/SMS after commit).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import Department, Enterprise, Person, User
from yiwang.accounts.selectors import decrypt_id_number, find_person_by_id_number
from yiwang.accounts.services.audit import actor_of
from yiwang.cases.models import Case
from yiwang.cases.services.base import staff_can
from yiwang.core.crypto import field_encryption_key, sm2_sign, sm3_hex, sm4_gcm_encrypt
from yiwang.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.identifiers import make_licence_id, validate_resident_id, validate_uscc
from yiwang.core.ledger import record_event
from yiwang.core.ledger.encoding import timestamp_text
from yiwang.core.sequences import advance
from yiwang.licences import documents, keys, states
from yiwang.licences.models import (
    HolderKind,
    Licence,
    LicenceEvent,
    LicenceSequence,
    LicenceStatus,
    LicenceType,
    LicenceUse,
    ShareLink,
)

logger = logging.getLogger("yiwang.licences")

ISSUE = "licences.issue"  # capability: issue by hand for the departments in the role's scope
MANAGE = "licences.manage"  # capability: 撤销/注销/吊销/失效
USE = ("cases.intake", "cases.review", "cases.approve")  # may fetch a party's licences for a case
PURPOSE_MAX = 200
REASON_MAX = 500
SHARE_MAX_DAYS = 30
PERSONAL_DATA_READ = "personal_data.read"
DOCUMENT_AAD = b"yiwang.licence.document.v1\x00"


def _event(
    licence: Licence,
    action: str,
    user: Any,
    *,
    reason: str = "",
    data: Any = None,
    at: dt.datetime | None = None,
) -> LicenceEvent:
    return LicenceEvent.objects.create(
        licence=licence,
        action=action,
        actor=user if isinstance(user, User) else None,
        at=at or timezone.now(),
        reason=reason,
        data=data or {},
    )


def _holder_payload(licence: Licence) -> dict[str, Any]:
    if licence.holder_person_id:
        return {"subject_person_id": licence.holder_person_id}
    return {"subject_enterprise": licence.holder_index}


# --- content -------------------------------------------------------------------------------------


def check_content(licence_type: LicenceType, content: dict[str, Any]) -> dict[str, Any]:
    """The content cleaned against the type's schema; every failure listed at once."""
    if not isinstance(content, dict):
        raise ValidationFailed(
            "invalid_licence_content", _("证照内容应为键值对。"), field="content"
        )
    problems: dict[str, str] = {}
    known = {f["key"]: f for f in licence_type.fields or []}
    cleaned: dict[str, Any] = {}
    for key in content:
        if key not in known:
            problems[f"content.{key}"] = _("证照类型没有此字段。")
    for key, spec in known.items():
        value = content.get(key)
        label = spec.get("label", key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.get("required"):
                problems[f"content.{key}"] = _("请填写“%(label)s”。") % {"label": label}
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        if not isinstance(value, str | int) or isinstance(value, bool):
            problems[f"content.{key}"] = _("“%(label)s”应为文字。") % {"label": label}
            continue
        value = str(value).strip()
        if spec.get("type") == "date":
            try:
                value = dt.date.fromisoformat(value).isoformat()
            except ValueError:
                problems[f"content.{key}"] = _("“%(label)s”应为日期（YYYY-MM-DD）。") % {
                    "label": label
                }
                continue
        limit = 2000 if spec.get("type") == "text" else 200
        if len(value) > limit:
            problems[f"content.{key}"] = _("“%(label)s”不能超过 %(n)d 个字符。") % {
                "label": label,
                "n": limit,
            }
            continue
        cleaned[key] = value
    if problems:
        raise ValidationFailed(
            "invalid_licence_content",
            _("证照内容不符合该类型的要求：") + _("；").join(str(v) for v in problems.values()),
            field=next(iter(problems)),
            details={"errors": problems},
        )
    return cleaned


# --- issuance ------------------------------------------------------------------------------------


def _next_serial(licence_type: LicenceType, issuer: Department, day: dt.date) -> str:
    """流水号: the day and at least 3 digits of a daily counter per (type, issuer)."""
    seq = advance(LicenceSequence, prefix=f"{licence_type.code}.{issuer.uscc}", day=day)
    return f"{day:%Y%m%d}{seq:03d}"


def _valid_until(licence_type: LicenceType, start: dt.date) -> dt.date | None:
    if not licence_type.validity_years:
        return None
    try:
        end = start.replace(year=start.year + licence_type.validity_years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + licence_type.validity_years, day=28)
    return end - dt.timedelta(days=1)


def _holder(
    licence_type: LicenceType, person: Person | None, enterprise: Enterprise | None
) -> tuple[str, str, str, Person | None, Enterprise | None]:
    """(kind, name, id shown in the document, index, …) for the type's holder kind."""
    if licence_type.holder_kind == HolderKind.ENTERPRISE:
        if enterprise is None:
            raise ValidationFailed(
                "holder_kind_mismatch", _("该类证照的持证主体应为企业。"), field="holder"
            )
        return HolderKind.ENTERPRISE, enterprise.name, enterprise.uscc, None, enterprise
    if person is None:
        raise ValidationFailed(
            "holder_kind_mismatch", _("该类证照的持证主体应为自然人。"), field="holder"
        )
    return HolderKind.PERSON, person.name, decrypt_id_number(person), person, None


def issue(
    *,
    licence_type: LicenceType,
    issuer: Department,
    content: dict[str, Any],
    holder_person: Person | None = None,
    holder_enterprise: Enterprise | None = None,
    actor: Any = None,
    case: Case | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    notify: bool = True,
) -> Licence:
    """Sign and store one licence (no permission check: callers check). In the caller's
    transaction."""
    if not licence_type.is_active:
        raise ValidationFailed(
            "licence_type_inactive", _("该证照类型已停用。"), field="licence_type"
        )
    cleaned = check_content(licence_type, content)
    kind, name, holder_id, person, enterprise = _holder(
        licence_type, holder_person, holder_enterprise
    )
    now = timezone.now()
    start = valid_from or timezone.localdate(now)
    end = valid_until if valid_until is not None else _valid_until(licence_type, start)
    if end is not None and end < start:
        raise ValidationFailed(
            "invalid_validity", _("有效期截止日不能早于起始日。"), field="valid_until"
        )
    serial = _next_serial(licence_type, issuer, timezone.localdate(now))
    licence_id = make_licence_id(licence_type.code, issuer.uscc, serial, 1)
    key = keys.active_key(issuer)
    pair = keys.keypair(key)
    document = {
        "format": documents.FORMAT,
        "licence_id": licence_id,
        "type": {"code": licence_type.code, "name": licence_type.name},
        "issuer": {"uscc": issuer.uscc, "name": issuer.name},
        "holder": {"kind": kind, "name": name, "id": holder_id},
        "content": cleaned,
        "issued_at": timestamp_text(now),
        "valid_from": start.isoformat(),
        "valid_until": end.isoformat() if end else None,
        "key_id": key.key_id,
    }
    canonical = documents.canonical_bytes(document)
    signature = sm2_sign(pair.private_hex, pair.public_hex, canonical)
    licence = Licence.objects.create(
        licence_id=licence_id,
        type=licence_type,
        issuer=issuer,
        serial=serial,
        version=1,
        holder_kind=kind,
        holder_person=person,
        holder_enterprise=enterprise,
        holder_name=name,
        holder_index=person.id_number_index if person else enterprise.uscc,  # type: ignore[union-attr]
        document_encrypted=sm4_gcm_encrypt(
            field_encryption_key(), canonical, aad=DOCUMENT_AAD + licence_id.encode()
        ),
        document_sm3=sm3_hex(canonical),
        signature=signature,
        key=key,
        issued_at=now,
        valid_from=start,
        valid_until=end,
        case=case,
        issued_by=actor if isinstance(actor, User) else None,
    )
    _event(licence, "issue", actor, at=now, data={"case": case.number if case else ""})
    record_event(
        actor=actor_of(actor),
        action="licences.issued",
        object_type="licences.licence",
        object_id=licence_id,
        payload={
            "type": licence_type.code,
            "issuer": issuer.uscc,
            "digest": licence.document_sm3,
            "key_id": key.key_id,
            "case": case.number if case else "",
            **_holder_payload(licence),
        },
    )
    if notify:
        _notify_holder(
            licence,
            _("您获得了新的电子证照：%(name)s") % {"name": licence_type.name},
            _("证照标识：%(id)s。可在“我的证照”中查看、下载和分享。") % {"id": licence_id},
        )
    return licence


def _holder_users(licence: Licence) -> list[tuple[User | None, Person | None]]:
    if licence.holder_person_id:
        person = licence.holder_person
        return [(getattr(person, "user", None), person)]
    enterprise = licence.holder_enterprise
    targets: list[tuple[User | None, Person | None]] = []
    rep = getattr(enterprise, "legal_representative", None)
    if rep is not None:
        targets.append((getattr(rep, "user", None), rep))
    for agent in enterprise.agents.filter(is_active=True).select_related("person__user"):  # type: ignore[union-attr]
        if rep is None or agent.person_id != rep.pk:
            targets.append((getattr(agent.person, "user", None), agent.person))
    return targets


def _notify_holder(licence: Licence, title: str, body: str) -> None:
    from yiwang.cases.notifications import notify_user

    for user, person in _holder_users(licence):
        notify_user(user, title, body, person=person if user is None else None)


def _source_value(source: str, case: Case) -> Any:
    kind, _dot, rest = source.partition(".")
    if source.startswith("const:"):
        return source.removeprefix("const:")
    if source == "today":
        return timezone.localdate().isoformat()
    if kind == "form":
        return (case.form_data or {}).get(rest)
    if kind == "applicant":
        if rest == "id_number":
            return decrypt_id_number(case.applicant)
        return getattr(case.applicant, rest, None)
    if kind == "enterprise":
        return getattr(case.enterprise, rest, None) if case.enterprise_id else None
    if kind == "case":
        return getattr(case, rest, None)
    if kind == "item":
        return getattr(case.item, rest, None)
    if kind == "issuer":
        return getattr(case.department, rest, None)
    return None


def content_from_case(licence_type: LicenceType, case: Case) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for spec in licence_type.fields or []:
        source = str(spec.get("source") or f"form.{spec['key']}")
        value = _source_value(source, case)
        if value not in (None, ""):
            content[spec["key"]] = value
    return content


def issue_for_case(case: Case) -> list[str]:
    """The result issuer registered with cases: on approval, the item's result licence."""
    code = getattr(case.item, "result_licence_type", "") if case.item_id else ""
    if not code:
        return []
    licence_type = LicenceType.objects.filter(code=code, is_active=True).first()
    if licence_type is None:
        logger.warning("case %s: no active licence type %s", case.number, code)
        _issue_failed(case, code, "unknown_licence_type", _("未登记的证照类型。"))
        return []
    enterprise = case.enterprise if licence_type.holder_kind == HolderKind.ENTERPRISE else None
    try:
        with transaction.atomic():
            licence = issue(
                licence_type=licence_type,
                issuer=case.department,
                content=content_from_case(licence_type, case),
                holder_person=case.applicant,
                holder_enterprise=enterprise,
                case=case,
                # A bundle's members are told once, in the bundle's completion notice.
                notify=case.parent_id is None,
            )
    except DomainError as exc:
        _issue_failed(case, code, exc.code, exc.message)
        return []
    return [licence.licence_id]


def _issue_failed(case: Case, code: str, error: str, message: str) -> None:
    record_event(
        actor="system",
        action="licences.issue_failed",
        object_type="cases.case",
        object_id=case.number,
        payload={"type": code, "error": error, "message": message},
    )


def issue_by_hand(
    user: Any,
    *,
    licence_type: LicenceType,
    issuer: Department,
    content: dict[str, Any],
    holder_id: str,
    case: Case | None = None,
) -> Licence:
    """An authorised clerk issues a licence (制证): ``licences.issue`` covering the issuer."""
    if not staff_can(user, (ISSUE,), issuer):
        raise PermissionDenied("licence_issue_not_allowed", _("您的岗位无权以该部门名义签发证照。"))
    person, enterprise = _holder_by_id(holder_id, field="holder_id")
    with transaction.atomic():
        return issue(
            licence_type=licence_type,
            issuer=issuer,
            content=content,
            holder_person=person,
            holder_enterprise=enterprise,
            actor=user,
            case=case,
        )


def _holder_by_id(holder_id: str, *, field: str) -> tuple[Person | None, Enterprise | None]:
    """The person (by ID number) or enterprise (by USCC) an ID names; NotFound when unknown."""
    text = str(holder_id or "").strip().upper()
    if len(text) == 18 and not text[:17].isdigit():
        uscc = validate_uscc(text, field=field)
        enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None:
            raise NotFound("holder_unknown", _("未找到该统一社会信用代码对应的企业。"), field=field)
        return None, enterprise
    validate_resident_id(text, field=field)
    person = find_person_by_id_number(text)
    if person is None:
        raise NotFound("holder_unknown", _("未找到该身份证号对应的人员。"), field=field)
    return person, None


# --- status --------------------------------------------------------------------------------------

STATUS_TITLES = {
    "revoke": _("撤销"),
    "cancel": _("注销"),
    "withdraw": _("吊销"),
    "invalidate": _("失效"),
}


def _reason(reason: str) -> str:
    text = str(reason or "").strip()
    if not text:
        raise ValidationFailed("reason_required", _("请填写原因。"), field="reason")
    if len(text) > REASON_MAX:
        raise ValidationFailed(
            "reason_too_long", _("原因不能超过 %(n)d 个字符。") % {"n": REASON_MAX}, field="reason"
        )
    return text


@transaction.atomic
def change_status(user: Any, licence: Licence, action: str, reason: str) -> Licence:
    """撤销 (revoke) / 注销 (cancel) / 吊销 (withdraw) / 失效 (invalidate), with a reason."""
    licence = (
        Licence.objects.select_for_update(of=("self",))
        .select_related("type", "issuer")
        .get(pk=licence.pk)
    )
    if not staff_can(user, (MANAGE,), licence.issuer):
        raise PermissionDenied(
            "licence_status_not_allowed", _("您的岗位无权变更该部门签发的证照状态。")
        )
    reason = _reason(reason)
    before = licence.status
    licence.status = states.check_transition(before, action)
    licence.status_reason = reason
    licence.status_changed_at = timezone.now()
    licence.save(update_fields=["status", "status_reason", "status_changed_at"])
    _event(
        licence,
        action,
        user,
        reason=reason,
        at=licence.status_changed_at,
        data={"from": before, "to": licence.status},
    )
    record_event(
        actor=actor_of(user),
        action=f"licences.{action}",
        object_type="licences.licence",
        object_id=licence.licence_id,
        payload={
            "from": before,
            "to": licence.status,
            "reason": reason,
            **_holder_payload(licence),
        },
    )
    label = LicenceStatus(licence.status).label
    _notify_holder(
        licence,
        _("您的电子证照%(status)s：%(name)s") % {"status": label, "name": licence.type.name},
        _("证照标识：%(id)s。原因：%(reason)s") % {"id": licence.licence_id, "reason": reason},
    )
    return licence


# --- share links ---------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    """What is stored of a share token (SM3, like API tokens): the token itself never is."""
    return sm3_hex(token.encode("utf-8"))


@dataclass(frozen=True)
class NewShareLink:
    link: ShareLink
    token: str  # shown once; only its digest is stored


@transaction.atomic
def create_share_link(user: Any, licence: Licence, *, hours: int) -> NewShareLink:
    """A link that lets anyone holding it see and verify ``licence`` until it expires."""
    from yiwang.licences.selectors import require_holder

    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    require_holder(user, licence)
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        hours = 0
    if not 1 <= hours <= SHARE_MAX_DAYS * 24:
        raise ValidationFailed(
            "invalid_share_duration",
            _("分享有效期应在 1 小时到 %(days)d 天之间。") % {"days": SHARE_MAX_DAYS},
            field="hours",
        )
    if licence.status != LicenceStatus.VALID:
        raise Conflict("licence_not_valid", _("该证照已不是有效状态，不能分享。"))
    token = secrets.token_urlsafe(24)
    link = ShareLink.objects.create(
        licence=licence,
        token_digest=token_digest(token),
        created_by=user,
        expires_at=timezone.now() + dt.timedelta(hours=hours),
    )
    _event(licence, "share", user, data={"share_link": link.pk, "hours": hours})
    record_event(
        actor=actor_of(user),
        action="licences.shared",
        object_type="licences.licence",
        object_id=licence.licence_id,
        payload={"share_link": link.pk, "expires_at": link.expires_at.isoformat()},
    )
    return NewShareLink(link, token)


@transaction.atomic
def revoke_share_link(user: Any, link: ShareLink) -> ShareLink:
    from yiwang.licences.selectors import require_holder

    link = (
        ShareLink.objects.select_for_update(of=("self",)).select_related("licence").get(pk=link.pk)
    )
    require_holder(user, link.licence)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        _event(link.licence, "unshare", user, data={"share_link": link.pk})
    return link


def open_share_link(token: str) -> ShareLink:
    """The live link for ``token`` (counted); NotFound for unknown, expired or revoked ones."""
    link = (
        ShareLink.objects.select_related("licence__type", "licence__issuer")
        .filter(token_digest=token_digest(str(token or "")))
        .first()
    )
    now = timezone.now()
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        raise NotFound("share_link_not_found", _("分享链接不存在、已撤回或已过期。"))
    ShareLink.objects.filter(pk=link.pk).update(
        opened_count=link.opened_count + 1, last_opened_at=now
    )
    return link


# --- 一证通办: using a licence for a case --------------------------------------------------------


def check_purpose(purpose: str) -> str:
    text = " ".join(str(purpose or "").split())
    if not text:
        raise ValidationFailed(
            "purpose_required", _("调用电子证照须填写申请事由。"), field="purpose"
        )
    if len(text) > PURPOSE_MAX:
        raise ValidationFailed(
            "purpose_too_long",
            _("申请事由不能超过 %(n)d 个字符。") % {"n": PURPOSE_MAX},
            field="purpose",
        )
    return text


def record_use(
    actor: Any, licence: Licence, *, purpose: str, case: Case | None, department: Any = None
) -> LicenceUse:
    """Store one use of ``licence`` (the holder's vault lists it) and its ledger entry."""
    now = timezone.now()
    use = LicenceUse.objects.create(
        licence=licence,
        case=case,
        purpose=purpose,
        actor=actor if isinstance(actor, User) else None,
        department=department,
        at=now,
    )
    record_event(
        actor=actor if isinstance(actor, str) else actor_of(actor),
        action=PERSONAL_DATA_READ,
        object_type="accounts.person" if licence.holder_person_id else "licences.licence",
        object_id=str(licence.holder_person_id or licence.licence_id),
        payload={
            "licence_id": licence.licence_id,
            "field": f"licence:{licence.type.code}",
            "purpose": purpose,
            "case": case.number if case else "",
            "department": getattr(department, "uscc", ""),
            **_holder_payload(licence),
        },
    )
    return use


def require_usable(licence: Licence, *, field: str = "licence_id") -> None:
    """Refuse a licence that may not stand in for a paper: revoked (etc.) or expired."""
    if licence.status != LicenceStatus.VALID:
        raise Conflict(
            "licence_revoked",
            _("该电子证照%(status)s，不能作为申请材料。")
            % {"status": LicenceStatus(licence.status).label},
            field=field,
        )
    if licence.valid_until is not None and licence.valid_until < timezone.localdate():
        raise Conflict(
            "licence_expired", _("该电子证照已过有效期，不能作为申请材料。"), field=field
        )


def case_for_clerk(user: Any, case_number: str) -> Case:
    """The case, when ``user`` handles it in his department (intake, review or approval)."""
    case = (
        Case.objects.select_related("department", "receiving_department", "applicant", "enterprise")
        .filter(number=str(case_number or "").strip())
        .first()
    )
    if case is None:
        raise NotFound("case_not_found", _("办件不存在。"), field="case")
    if not staff_can(user, USE, case.department, case.receiving_department):
        raise PermissionDenied("case_not_in_department", _("只能为本部门办理的办件调用电子证照。"))
    return case


def fetch_for_case(
    user: Any, *, case_number: str, holder_id: str, purpose: str, type_code: str = ""
) -> list[Licence]:
    """一证通办: a clerk of the case's department fetches a party's usable licences by ID number
    (or USCC), with the purpose bound to the case. Each licence returned is recorded as a use."""
    purpose = check_purpose(purpose)
    case = case_for_clerk(user, case_number)
    person, enterprise = _holder_by_id(holder_id, field="holder_id")
    party = (person is not None and person.pk == case.applicant_id) or (
        enterprise is not None and enterprise.pk == case.enterprise_id
    )
    if not party:
        raise PermissionDenied(
            "holder_not_case_party", _("只能调用本办件申请人（或申请企业）的电子证照。")
        )
    return _fetch(user, case, person, enterprise, purpose, type_code)


def fetch_for_case_party(
    user: Any, *, case_number: str, party: str, purpose: str, type_code: str = ""
) -> list[Licence]:
    """The same for the clerk's page: ``party`` is ``applicant`` or ``enterprise`` (the
    applying enterprise), so the clerk never types an ID number."""
    purpose = check_purpose(purpose)
    case = case_for_clerk(user, case_number)
    if party == "enterprise":
        if case.enterprise_id is None:
            raise ValidationFailed("no_enterprise_party", _("本办件没有申请企业。"), field="party")
        return _fetch(user, case, None, case.enterprise, purpose, type_code)
    if party != "applicant":
        raise ValidationFailed("invalid_party", _("请选择申请人或申请企业。"), field="party")
    return _fetch(user, case, case.applicant, None, purpose, type_code)


def _fetch(
    user: Any,
    case: Case,
    person: Person | None,
    enterprise: Enterprise | None,
    purpose: str,
    type_code: str,
) -> list[Licence]:
    index = person.id_number_index if person else enterprise.uscc  # type: ignore[union-attr]
    qs = Licence.objects.select_related("type", "issuer", "key").filter(
        holder_index=index, status=LicenceStatus.VALID
    )
    if type_code:
        qs = qs.filter(type__code=type_code)
    today = timezone.localdate()
    found = [lic for lic in qs if lic.valid_until is None or lic.valid_until >= today]
    department = case.receiving_department or case.department
    with transaction.atomic():
        for licence in found:
            record_use(
                user,
                licence,
                purpose=f"{purpose}（办件 {case.number}）",
                case=case,
                department=department,
            )
    return found
