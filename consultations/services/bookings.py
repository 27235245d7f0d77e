"""Booking, confirming, moving, cancelling and closing consultations.

No double booking, by construction:

- PostgreSQL: the host's row is locked (``SELECT ... FOR UPDATE``) for the
  length of the booking transaction, so bookings of one host queue up behind
  each other and each sees the one before it; the exclusion constraint
  ``consultations_booking_no_overlap`` is the last word if anything writes
  around this service (an IntegrityError becomes the same "just taken").
- SQLite: ``select_for_update`` is a no-op, but our settings open every
  transaction with ``BEGIN IMMEDIATE``, which takes the database's write lock
  at once: writers are serialised, so the overlap check inside the transaction
  cannot race.

Every write is audited and records a ``BookingEvent``; e-mails are queued in
the outbox in the same transaction (``services.notices``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from intake.models import Case, CaseDocument, ClinicShare

from ..models import (
    ACTIVE_STATUSES,
    Booking,
    BookingAction,
    BookingEvent,
    BookingStatus,
    ConsultationType,
    Host,
    Modality,
    VideoLink,
)
from ..slots import Blocked, Slot, free_slots, slot_grid
from . import notices
from ._common import actor_label, audit_actor, manages_host, require_host_manager

B = BookingStatus


class SlotTaken(DomainError):
    """The time was taken between showing and booking; ``fresh`` holds what is free now."""

    def __init__(self, fresh: list[Slot]) -> None:
        super().__init__(
            _("That time was just taken. Please choose another; the list below is up to date."),
            code="slot_taken",
        )
        self.fresh = fresh


def _locked_host(host_id: int) -> Host:
    # Serialises bookings of one host on PostgreSQL (see the module docstring).
    return Host.objects.select_for_update().get(pk=host_id)


def _check_slot(
    ctype: ConsultationType,
    start: datetime,
    *,
    ignore_booking_id: int | None = None,
    override_notice: bool = False,
) -> Slot:
    """The slot starting at ``start`` if it can be booked; else a DomainError saying why."""
    if start.tzinfo is None:
        raise DomainError(_("A time without a time zone cannot be booked."), code="naive_time")
    now = timezone.now()
    if start <= now:
        raise DomainError(Blocked.PAST.label, code=Blocked.PAST.value)
    grid = slot_grid(
        consultation_type=ctype,
        window_start=start,
        window_end=start + timedelta(seconds=1),
        now=now,
        ignore_booking_id=ignore_booking_id,
    )
    slot = grid[0] if grid and grid[0].start == start else None
    if slot is None:
        raise DomainError(
            _(
                "The host does not take consultations at this time. Please pick one of the "
                "times offered."
            ),
            code="outside_availability",
        )
    if slot.blocked == Blocked.BOOKED:
        raise SlotTaken(_fresh(ctype, start, ignore_booking_id))
    if slot.blocked is not None and not (override_notice and slot.blocked == Blocked.NOTICE):
        raise DomainError(slot.blocked.label, code=slot.blocked.value)
    return slot


def _fresh(ctype: ConsultationType, around: datetime, ignore_booking_id: int | None) -> list[Slot]:
    now = timezone.now()
    start = max(now, around - timedelta(days=3))
    return free_slots(
        consultation_type=ctype,
        window_start=start,
        window_end=start + timedelta(days=7),
        now=now,
        ignore_booking_id=ignore_booking_id,
    )[:12]


def _check_overlap(host: Host, slot: Slot, ctype: ConsultationType, exclude_pk: int | None) -> None:
    """Inside the lock: does an active booking's buffered span meet ours?"""
    busy = (
        Booking.objects.active()
        .filter(host=host)
        .overlapping(slot.start - ctype.buffer_before, slot.end + ctype.buffer_after)
    )
    if exclude_pk is not None:
        busy = busy.exclude(pk=exclude_pk)
    if busy.exists():
        raise SlotTaken(_fresh(ctype, slot.start, exclude_pk))


def _save_or_taken(booking: Booking, ctype: ConsultationType) -> None:
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal is recoverable
            booking.save()
    except IntegrityError as exc:
        if "consultations_booking_no_overlap" in str(exc):
            raise SlotTaken(_fresh(ctype, booking.start_at, booking.pk)) from None
        raise


def _record(
    booking: Booking,
    action: str,
    *,
    acting_user: User | None,
    request: HttpRequest | None,
    previous_start: datetime | None = None,
    reason: str = "",
    overrode_notice: bool = False,
) -> None:
    BookingEvent.objects.create(
        booking=booking,
        action=action,
        actor=audit_actor(acting_user),
        actor_label=actor_label(acting_user, booking.case)[:254],
        previous_start=previous_start,
        new_start=booking.start_at
        if action in (BookingAction.BOOKED, BookingAction.RESCHEDULED)
        else None,
        reason=reason[:500],
        overrode_notice=overrode_notice,
    )
    audit_event_record(
        action=f"consultations.booking.{action}",
        acting_user=audit_actor(acting_user),
        actor_label=actor_label(acting_user, booking.case),
        target=booking,
        request=request,
        data={
            "case": booking.case_id,
            "host": booking.host_id,
            "status": booking.status,
            "sequence": booking.sequence,
            "overrode_notice": overrode_notice,
        },
    )


def _check_patient_may_book(case: Case, host: Host, acting_user: User | None) -> None:
    """A case books only with the concierge, or a clinic it is shared with; patients
    see the (free) concierge first."""
    if case.is_draft or not case.is_open:
        raise DomainError(_("This case is closed; it cannot book consultations."), code="closed")
    if host.clinic_id is None:
        return
    if not ClinicShare.objects.active().filter(case=case, clinic_id=host.clinic_id).exists():
        raise DomainError(
            _(
                "Share your case with this clinic first: it can only talk to you about a case "
                "it may see."
            ),
            code="not_shared",
        )
    if (
        acting_user is None
        and not Booking.objects.filter(
            case=case,
            host__kind="concierge",
            status__in=(*ACTIVE_STATUSES, B.COMPLETED),
        ).exists()
    ):
        raise DomainError(
            _("Please book the free consultation with our concierge team first."),
            code="concierge_first",
        )


def _meeting_url(ctype: ConsultationType) -> str:
    if ctype.modality != Modality.VIDEO:
        return ""
    if ctype.video_link == VideoLink.HOST_LINK:
        return ctype.meeting_url
    # An unguessable room per booking on the configured video service.
    return f"{settings.CONSULTATIONS_VIDEO_ROOM_URL}{secrets.token_urlsafe(18)}"


@transaction.atomic
def booking_create(
    *,
    case: Case,
    consultation_type: ConsultationType,
    start: datetime,
    acting_user: User | None,
    patient_time_zone: str = "",
    question: str = "",
    document: CaseDocument | None = None,
    request: HttpRequest | None = None,
) -> Booking:
    """Book ``start`` for ``case``. ``acting_user`` None is the patient (their magic link,
    checked by the view); staff and the host's clinic may book for a patient.

    Refuses, with a message: the past, outside availability, inside the minimum
    notice, beyond the horizon, a date exception, a taken or buffered time
    (``SlotTaken`` with fresh slots), a clinic the case is not shared with.
    Side effects: audit row, history event, e-mails to patient and host (and reminders).
    """
    ctype = ConsultationType.objects.select_related("host").get(pk=consultation_type.pk)
    if not ctype.is_active or not ctype.host.is_active:
        raise DomainError(_("This consultation cannot be booked any more."), code="inactive")
    if acting_user is not None and not manages_host(acting_user, ctype.host):
        raise PermissionDenied("Not allowed to book on this calendar.")
    host = _locked_host(ctype.host_id)
    ctype.host = host
    _check_patient_may_book(case, host, acting_user)
    if document is not None and document.case_id != case.pk:
        raise DomainError(_("Choose one of this case's documents."), code="foreign_document")
    slot = _check_slot(ctype, start, override_notice=acting_user is not None)
    _check_overlap(host, slot, ctype, None)
    booking = Booking(
        host=host,
        consultation_type=ctype,
        case=case,
        status=B.REQUESTED,
        start_at=slot.start,
        end_at=slot.end,
        blocked_start=slot.start - ctype.buffer_before,
        blocked_end=slot.end + ctype.buffer_after,
        patient_time_zone=patient_time_zone or str(case.patient.time_zone),
        question=question.strip(),
        document=document,
        modality=ctype.modality,
        location=ctype.location if ctype.modality == Modality.IN_PERSON else "",
        meeting_url=_meeting_url(ctype),
        booked_by=audit_actor(acting_user),
    )
    booking.full_clean(validate_constraints=False)  # the overlap was checked under the lock
    _save_or_taken(booking, ctype)
    _record(booking, BookingAction.BOOKED, acting_user=acting_user, request=request)
    if ctype.requires_confirmation:
        notices.booking_news_queue(booking, kind=notices.REQUESTED)
    else:
        _confirm(booking, acting_user=acting_user, request=request)
    return booking


def _confirm(booking: Booking, *, acting_user: User | None, request: HttpRequest | None) -> None:
    booking.transition_to(B.CONFIRMED)
    booking.status_changed_at = timezone.now()
    booking.save(update_fields=["status", "status_changed_at", "updated_at"])
    _record(booking, BookingAction.CONFIRMED, acting_user=acting_user, request=request)
    notices.booking_news_queue(booking, kind=notices.CONFIRMED)
    notices.booking_reminders_queue(booking)


def _locked(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("host", "consultation_type", "case__patient")
        .get(pk=booking.pk)
    )


def _inside_change_notice(booking: Booking) -> bool:
    return timezone.now() > booking.change_deadline


def _check_may_change(booking: Booking, acting_user: User | None) -> bool:
    """Patients change only outside the minimum notice; hosts may override. Returns
    whether an override was used."""
    if acting_user is not None:
        require_host_manager(acting_user, booking.host)
    if not booking.is_active:
        raise DomainError(_("This consultation can no longer be changed."), code="not_active")
    if booking.start_at <= timezone.now():
        raise DomainError(_("This consultation has already started."), code="started")
    if not _inside_change_notice(booking):
        return False
    if acting_user is None:
        raise DomainError(
            _(
                "It is too late to change this consultation online: changes need %(hours)s "
                "hours' notice. Please write to us instead."
            )
            % {"hours": booking.consultation_type.min_change_notice_hours},
            code="inside_notice",
        )
    return True


@transaction.atomic
def booking_reschedule(
    *,
    booking: Booking,
    start: datetime,
    reason: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> Booking:
    """Move a booking to ``start``: same booking, same calendar UID, SEQUENCE + 1; the old
    time stays in the history. ``acting_user`` None is the patient (their link or case page).
    Side effects: audit, history event, updated invites, reminders moved.
    """
    if not reason.strip():
        raise DomainError(_("Please say why you are changing the time."), code="reason_required")
    host = _locked_host(booking.host_id)
    booking = _locked(booking)
    booking.host = host
    overrode = _check_may_change(booking, acting_user)
    ctype = booking.consultation_type
    ctype.host = host
    if start == booking.start_at:
        raise DomainError(_("Choose a different time."), code="same_time")
    slot = _check_slot(
        ctype, start, ignore_booking_id=booking.pk, override_notice=acting_user is not None
    )
    _check_overlap(host, slot, ctype, booking.pk)
    previous = booking.start_at
    booking.start_at, booking.end_at = slot.start, slot.end
    booking.blocked_start = slot.start - ctype.buffer_before
    booking.blocked_end = slot.end + ctype.buffer_after
    booking.sequence += 1
    booking.full_clean(validate_constraints=False)
    _save_or_taken(booking, ctype)
    _record(
        booking,
        BookingAction.RESCHEDULED,
        acting_user=acting_user,
        request=request,
        previous_start=previous,
        reason=reason.strip(),
        overrode_notice=overrode,
    )
    notices.booking_news_queue(booking, kind=notices.UPDATED)
    notices.booking_reminders_queue(booking)
    return booking
