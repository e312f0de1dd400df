"""Notifications (消息): in-app rows, email through Django's ``send_mail`` and SMS behind a small
interface.

``notify_person``/``notify_user`` write the in-app ``Notification`` row inside the caller's
transaction (it rolls back with the decision) and schedule email and SMS with
``transaction.on_commit``, so nothing is sent for a decision that did not happen. A new
submission is announced only after it commits (``announce_submission``, scheduled by the service
with ``on_commit``): the request's transaction, which holds the case-number and ledger locks,
does not wait for the department's staff to be looked up and told.

SMS: ``SmsSender`` is a protocol with one method; ``settings.YIWANG_SMS_SENDER`` names the class
(dotted path). The default, ``LoggingSmsSender``, only logs (no gateway in development).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from yiwang.accounts.models import Department, Person, StaffRole, User
from yiwang.cases.models import Case, Notification

logger = logging.getLogger("yiwang.cases.notifications")

DEFAULT_SMS_SENDER = "yiwang.cases.notifications.LoggingSmsSender"


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsSender:
    """Development stand-in for an SMS gateway: writes a log line (phone masked)."""

    sent: list[tuple[str, str]] = []  # kept for tests and the demo console

    def send(self, phone: str, text: str) -> None:
        masked = f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "***"
        logger.info("SMS to %s: %s", masked, text)
        LoggingSmsSender.sent.append((phone, text))


def sms_sender() -> SmsSender:
    path = getattr(settings, "YIWANG_SMS_SENDER", "") or DEFAULT_SMS_SENDER
    return import_string(path)()


def _send_email(address: str, title: str, body: str, notification_id: int) -> None:
    try:
        send_mail(title, body, None, [address], fail_silently=False)
    except Exception:
        logger.exception("email notification %s failed", notification_id)
        return
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now())


def _send_sms(phone: str, text: str, notification_id: int) -> None:
    try:
        sms_sender().send(phone, text)
    except Exception:
        logger.exception("sms notification %s failed", notification_id)
        return
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now())


def notify_user(
    user: User | None,
    title: str,
    body: str = "",
    *,
    case: Case | None = None,
    person: Person | None = None,
    sms: bool = False,
) -> Notification:
    """An in-app message for ``user`` (or ``person`` without an account) plus email (if the user
    has an address) and SMS (if ``sms`` and a phone is known), sent after commit."""

    def row(channel: str, **extra: Any) -> Notification:
        return Notification.objects.create(
            user=user,
            person=person,
            case=case,
            channel=channel,
            title=title[:200],
            body=body,
            **extra,
        )

    note = row(Notification.Channel.IN_APP, sent_at=timezone.now())
    email = getattr(user, "email", "") if user is not None else ""
    if email:
        mail = row(Notification.Channel.EMAIL)
        transaction.on_commit(lambda: _send_email(email, title, body, mail.pk))
    phone = (person.phone if person is not None else "") or (
        getattr(user, "phone", "") if user is not None else ""
    )
    if sms and phone:
        text = f"{title} {body}".strip()
        message = row(Notification.Channel.SMS)
        transaction.on_commit(lambda: _send_sms(phone, text, message.pk))
    return note


def notify_applicant(case: Case, title: str, body: str = "", *, sms: bool = True) -> Notification:
    person = case.applicant
    return notify_user(person.user, title, body, case=case, person=person, sms=sms)


def notify_department(department: Department, title: str, body: str = "", *, case: Case) -> int:
    """In-app messages to the department's staff who handle cases (any ``cases.*`` capability)."""
    users: dict[int, User] = {}
    for sr in (
        StaffRole.objects.active().filter(department=department).select_related("role", "user")
    ):
        if any(str(c).startswith("cases.") for c in sr.role.capabilities or []):
            users[sr.user_id] = sr.user
    for user in users.values():
        Notification.objects.create(
            user=user,
            case=case,
            channel=Notification.Channel.IN_APP,
            title=title[:200],
            body=body,
            sent_at=timezone.now(),
        )
    return len(users)


def announce_submission(
    departments: list[tuple[Department, str, str, Case]],
    applicant: tuple[Case, str, str] | None = None,
) -> None:
    """After a submission commits: in-app messages to the case-handling staff of each deciding
    department (one query for all of them, one bulk insert) and the applicant's notice."""
    handlers: dict[int, set[int]] = {}
    for department_id, user_id, capabilities in (
        StaffRole.objects.active()
        .filter(department_id__in={d.pk for d, *_rest in departments})
        .values_list("department_id", "user_id", "role__capabilities")
    ):
        if any(str(c).startswith("cases.") for c in capabilities or []):
            handlers.setdefault(department_id, set()).add(user_id)
    now = timezone.now()
    staff_notes = [
        Notification(
            user_id=user_id,
            case=case,
            channel=Notification.Channel.IN_APP,
            title=title[:200],
            body=body,
            sent_at=now,
        )
        for department, title, body, case in departments
        for user_id in sorted(handlers.get(department.pk, ()))
    ]
    # One commit for the staff's rows and the applicant's (which alone needs no transaction).
    with transaction.atomic() if staff_notes else contextlib.nullcontext():
        if staff_notes:
            Notification.objects.bulk_create(staff_notes)
        if applicant is not None:
            case, title, body = applicant
            notify_applicant(case, title, body, sms=False)


def notifications_for(user: Any) -> Any:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(
        user_id=user.pk, channel=Notification.Channel.IN_APP
    ).select_related("case")


def mark_read(user: Any, notification_ids: list[int] | None = None) -> int:
    qs = notifications_for(user).filter(read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
