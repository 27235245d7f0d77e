"""The e-mails a booking causes, queued in the outbox inside the caller's transaction.

The patient and the host get the same news, each in their own zone: the patient
in the zone they booked from, the host in the host's zone. Reminders are rows
due 24 h and 1 h before the start (never ETA tasks); the kind asks at send time
whether the booking still stands at that time (``consultations.emails``).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.models import User
from core.notifications.services import notifications_cancel_about, notify

from ..models import Booking, BookingStatus, TreatmentPhase

REQUESTED = "consultations.booking_requested"
CONFIRMED = "consultations.booking_confirmed"
UPDATED = "consultations.booking_updated"
CANCELLED = "consultations.booking_cancelled"
REMINDER = "consultations.booking_reminder"
PRETREATMENT = "consultations.pretreatment"


def host_recipients(booking: Booking) -> list[User | str]:
    """Who hears about a host's bookings: the concierge member, or the clinic's active staff
    and its contact address (once each)."""
    host = booking.host
    if host.user is not None:
        return [host.user] if host.user.is_active else []
    out: list[User | str] = []
    seen: set[str] = set()
    assert host.clinic is not None
    for membership in host.clinic.memberships.select_related("user").filter(user__is_active=True):
        seen.add(membership.user.email.lower())
        out.append(membership.user)
    contact = host.clinic.contact_email
    if contact and contact.lower() not in seen:
        out.append(contact)
    return out


def _recipient_key(recipient: User | str) -> str:
    return f"u{recipient.pk}" if isinstance(recipient, User) else f"a{recipient.lower()}"


def _both_sides(
    booking: Booking,
    *,
    kind: str,
    event_key: str,
    due_at: Any = None,
    data: dict[str, Any] | None = None,
) -> None:
    patient = booking.case.patient
    base = {"sequence": booking.sequence, **(data or {})}
    notify(
        kind=kind,
        dedupe_key=f"{kind}:{booking.pk}:{event_key}:patient",
        about=booking,
        to=None,  # the kind reads the patient's current address at send time
        language=patient.language,
        time_zone=str(booking.patient_time_zone),
        due_at=due_at,
        data={**base, "for_host": False},
    )
    host_zone = str(booking.host.time_zone)
    for recipient in host_recipients(booking):
        notify(
            kind=kind,
            dedupe_key=f"{kind}:{booking.pk}:{event_key}:{_recipient_key(recipient)}"[:200],
            about=booking,
            to=recipient,
            language=recipient.language if isinstance(recipient, User) else "",
            time_zone=host_zone,
            due_at=due_at,
            data={**base, "for_host": True},
        )


def booking_news_queue(booking: Booking, *, kind: str) -> None:
    """Tell both sides that ``booking`` was requested, confirmed, moved or cancelled."""
    _both_sides(booking, kind=kind, event_key=f"s{booking.sequence}")


def booking_reminders_queue(booking: Booking) -> int:
    """Queue the reminders still ahead (24 h and 1 h before); returns how many times.

    Earlier reminders of this booking are cancelled first: a moved booking is
    reminded about its new time only.
    """
    notifications_cancel_about(about=booking, kinds=[REMINDER])
    if booking.status != BookingStatus.CONFIRMED:
        return 0
    now = timezone.now()
    queued = 0
    for hours in settings.CONSULTATIONS_REMINDER_HOURS:
        due = booking.start_at - timedelta(hours=hours)
        if due <= now:
            continue
        _both_sides(
            booking,
            kind=REMINDER,
            event_key=f"s{booking.sequence}:h{hours}",
            due_at=due,
            data={"hours": hours, "start": booking.start_at.isoformat()},
        )
        queued += 1
    return queued


def booking_reminders_cancel(booking: Booking) -> int:
    return notifications_cancel_about(about=booking, kinds=[REMINDER])


def pretreatment_instructions_queue(phase: TreatmentPhase) -> bool:
    """Queue the pre-treatment instructions N days before a treatment phase (if still ahead)."""
    plan = phase.plan
    due = _instructions_due(phase)
    if due <= timezone.now():
        return False
    patient = plan.case.patient
    notify(
        kind=PRETREATMENT,
        dedupe_key=f"{PRETREATMENT}:{phase.pk}:{phase.planned_date.isoformat()}",
        about=phase,
        to=None,
        language=patient.language,
        time_zone=str(patient.time_zone),
        due_at=due,
        data={"planned_date": phase.planned_date.isoformat()},
    )
    return True


def _instructions_due(phase: TreatmentPhase) -> datetime:
    """09:00 at the clinic, ``instructions_days_before`` days before the planned date."""
    plan = phase.plan
    zone = zoneinfo.ZoneInfo(str(plan.clinic.time_zone))
    day = phase.planned_date - timedelta(days=plan.instructions_days_before)
    return datetime.combine(day, time(9, 0), tzinfo=zone)
