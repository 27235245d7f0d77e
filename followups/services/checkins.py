"""Answering a check-in: links, pages saved one by one, and the escalation on submit."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic
from clinics.public_cache import public_pages_changed
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import Notification, User
from core.notifications.services import notifications_cancel_about, notify

from ..escalation import CheckInAnswers, Escalation, Tier, escalation_for
from ..instruments import CareVisit
from ..models import (
    AdverseEvent,
    CheckIn,
    CheckInAnswer,
    CheckInLink,
    CheckInStatus,
    ScheduleStatus,
    StaffTask,
    TaskKind,
    hash_token,
)
from .schedule import REMINDER_KIND

LINK_VALID_FOR = dt.timedelta(days=45)
CLINIC_RATING_WITHIN = dt.timedelta(days=3)
TASK_DUE_WITHIN = dt.timedelta(hours=24)
ANSWER_FIELDS = (
    "pain_now",
    "pgic",
    "function_limit",
    "side_effects",
    "still_present",
    "fever_over_48h",
    "spreading_redness",
    "pus_or_discharge",
    "care_visit",
    "anything_else",
    "contact_me",
    "sane_score",
)
EVENT_STAFF_KIND = "followups.adverse_event_staff"
EVENT_CLINIC_KIND = "followups.adverse_event_clinic"


# --- Links --------------------------------------------------------------------------------
def checkin_link_issue(*, check_in: CheckIn, notification: Notification | None) -> str:
    """A fresh link for ``check_in``; the link an earlier try of the same message issued is
    revoked first, so a retried send never leaves two live links. Returns the raw token."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    # No transaction of its own: it runs for every e-mail the outbox sends, and BEGIN and
    # COMMIT would double its round trips. Stopped between the two writes, the earlier
    # link is revoked and the message unsent: its retry issues the one live link.
    if notification is not None:
        CheckInLink.objects.filter(notification=notification, revoked_at__isnull=True).update(
            revoked_at=now
        )
    CheckInLink.objects.create(
        check_in=check_in,
        notification=notification,
        token_hash=hash_token(raw),
        expires_at=now + LINK_VALID_FOR,
    )
    return raw


def checkin_links_issue(*, messages: list[tuple[CheckIn, Notification]]) -> dict[int, str]:
    """``checkin_link_issue`` for a chunk of messages at once: the links their earlier tries
    issued revoked in one UPDATE, a fresh link each in one INSERT, both in one short
    transaction (no network I/O in it). Maps each notification's id to its raw token."""
    if not messages:
        return {}
    now = timezone.now()
    raw = {notification.pk: secrets.token_urlsafe(32) for _check_in, notification in messages}
    links = [
        CheckInLink(
            check_in=check_in,
            notification=notification,
            token_hash=hash_token(raw[notification.pk]),
            expires_at=now + LINK_VALID_FOR,
        )
        for check_in, notification in messages
    ]
    with transaction.atomic():
        CheckInLink.objects.filter(notification__in=list(raw), revoked_at__isnull=True).update(
            revoked_at=now
        )
        CheckInLink.objects.bulk_create(links)
    return raw


def checkin_for_link(raw: str) -> CheckIn | None:
    """The open check-in a link opens, or None for any link that must not work."""
    if not raw or len(raw) > 100:
        return None
    link = (
        CheckInLink.objects.select_related("check_in__schedule")
        .filter(token_hash=hash_token(raw))
        .first()
    )
    if link is None or not link.is_usable():
        return None
    check_in = link.check_in
    if not check_in.is_open or check_in.schedule.status == ScheduleStatus.ENDED:
        return None
    return check_in


# --- Answering ----------------------------------------------------------------------------
def _require_open(check_in: CheckIn) -> None:
    if not check_in.is_open or check_in.schedule.status == ScheduleStatus.ENDED:
        raise DomainError(
            _("This check-in is closed. Thank you: there is nothing more to answer."),
            code="checkin_closed",
        )


@transaction.atomic
def checkin_page_save(
    *, check_in: CheckIn, page: int, values: dict[str, object], request: HttpRequest | None = None
) -> CheckInAnswer:
    """Save one page of answers at once, so a dropped connection loses nothing.
    Side effects: audit row with field names only."""
    locked = CheckIn.objects.select_for_update().select_related("schedule").get(pk=check_in.pk)
    _require_open(locked)
    answer, _created = CheckInAnswer.objects.get_or_create(check_in=locked)
    changed = sorted(k for k in values if k in ANSWER_FIELDS)
    for name in changed:
        setattr(answer, name, values[name])
    answer.pages_saved = max(answer.pages_saved, page)
    answer.updated_at = timezone.now()
    answer.full_clean()
    answer.save()
    if locked.started_at is None:
        locked.started_at = timezone.now()
        locked.save(update_fields=["started_at"])
    audit_event_record(
        action="followups.answer_saved",
        acting_user=None,
        target=locked,
        request=request,
        actor_label="patient",
        data={"page": page, "fields": changed},
    )
    return answer


def _previous(check_in: CheckIn) -> tuple[int | None, int | None]:
    """Pain and function from the last answered check-in, else the intake's baseline."""
    earlier = (
        CheckInAnswer.objects.filter(
            check_in__schedule=check_in.schedule,
            check_in__status=CheckInStatus.ANSWERED,
            check_in__due_at__lt=check_in.due_at,
        )
        .order_by("-check_in__due_at")
        .values_list("pain_now", "function_limit")
        .first()
    )
    if earlier is not None:
        return earlier
    return check_in.schedule.case.severity, None


def _answers(answer: CheckInAnswer) -> CheckInAnswers:
    return CheckInAnswers(
        pain_now=answer.pain_now,
        function_limit=answer.function_limit,
        pgic=answer.pgic,
        side_effects={str(k): int(v) for k, v in (answer.side_effects or {}).items()},
        still_present=frozenset(answer.still_present or []),
        fever_over_48h=answer.fever_over_48h,
        spreading_redness=answer.spreading_redness,
        pus_or_discharge=answer.pus_or_discharge,
        care_visit=answer.care_visit or CareVisit.NONE,
    )


@transaction.atomic
def checkin_submit(*, check_in: CheckIn, request: HttpRequest | None = None) -> Escalation:
    """Close the check-in with its answers and escalate what a human must see.

    A red flag opens an adverse event and tells the concierge on duty and the
    clinic at once; worsening or a grade-3 answer makes a staff task due in 24 h;
    "contact me" makes a task too. The links die and the reminder is cancelled.
    Side effects: audit rows, notifications.
    """
    locked = (
        CheckIn.objects.select_for_update()
        .select_related("schedule__case", "schedule__clinic")
        .get(pk=check_in.pk)
    )
    _require_open(locked)
    answer = CheckInAnswer.objects.filter(check_in=locked).first()
    if answer is None or answer.pain_now is None:
        raise DomainError(_("Please answer the first page before you finish."), code="incomplete")
    now = timezone.now()
    old = locked.transition_to(CheckInStatus.ANSWERED)
    locked.answered_at = now
    locked.status_changed_at = now
    locked.save(update_fields=["status", "answered_at", "status_changed_at"])
    answer.submitted_at = now
    answer.save(update_fields=["submitted_at"])
    CheckInLink.objects.filter(check_in=locked, revoked_at__isnull=True).update(revoked_at=now)
    notifications_cancel_about(about=locked, kinds=[REMINDER_KIND])
    previous_pain, previous_function = _previous(locked)
    escalation = escalation_for(
        _answers(answer), previous_pain=previous_pain, previous_function=previous_function
    )
    if escalation.tier is Tier.ADVERSE_EVENT:
        _adverse_event_open(locked, escalation)
    elif escalation.tier is Tier.TASK_24H:
        StaffTask.objects.get_or_create(
            check_in=locked,
            kind=TaskKind.REVIEW_ANSWERS,
            defaults={"due_at": now + TASK_DUE_WITHIN, "reasons": list(escalation.reasons)},
        )
    if answer.contact_me:
        StaffTask.objects.get_or_create(
            check_in=locked,
            kind=TaskKind.CONTACT_REQUEST,
            defaults={"due_at": now + TASK_DUE_WITHIN, "reasons": ["contact_me"]},
        )
    public_pages_changed()  # the clinic's published outcomes
    audit_event_record(
        action="followups.checkin_answered",
        acting_user=None,
        target=locked,
        request=request,
        actor_label="patient",
        data={
            "from": old,
            "time_point": locked.time_point,
            "tier": escalation.tier.value,
            "reasons": list(escalation.reasons),
        },
    )
    return escalation


def _adverse_event_open(check_in: CheckIn, escalation: Escalation) -> AdverseEvent:
    schedule = check_in.schedule
    now = timezone.now()
    event = AdverseEvent.objects.create(
        check_in=check_in,
        schedule=schedule,
        clinic_id=schedule.clinic_id,
        reasons=list(escalation.reasons),
        reported_at=now,
        clinic_rating_due_at=now + CLINIC_RATING_WITHIN,
    )
    notify(
        kind=EVENT_STAFF_KIND,
        dedupe_key=f"{EVENT_STAFF_KIND}:{event.pk}",
        about=event,
        to=_concierge_on_duty(),
        priority=0,
    )
    for address in clinic_addresses(schedule.clinic):
        notify(
            kind=EVENT_CLINIC_KIND,
            dedupe_key=f"{EVENT_CLINIC_KIND}:{event.pk}:{address}",
            about=event,
            to=address,
            priority=0,
        )
    audit_event_record(
        action="followups.adverse_event_opened",
        acting_user=None,
        target=event,
        data={
            "check_in": check_in.pk,
            "clinic": schedule.clinic_id,
            "reasons": list(escalation.reasons),
        },
    )
    return event


def _concierge_on_duty() -> str:
    return str(settings.CONCIERGE_ON_DUTY_EMAIL or settings.CONCIERGE_EMAIL)


def clinic_addresses(clinic: Clinic) -> list[str]:
    """Every active member of the clinic and its contact inbox, each once."""
    seen: dict[str, str] = {}
    for email in User.objects.filter(clinic_memberships__clinic=clinic, is_active=True).values_list(
        "email", flat=True
    ):
        seen.setdefault(email.lower(), email)
    if clinic.contact_email:
        seen.setdefault(clinic.contact_email.lower(), clinic.contact_email)
    return list(seen.values())
