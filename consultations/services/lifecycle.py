"""Confirming, cancelling and closing consultations (booking and moving: ``bookings``).

Each call locks the booking row, moves it along the transition table, records a
``BookingEvent``, writes the audit row and queues the e-mails, in one transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from core.models import User
from core.notifications.services import notifications_cancel_about

from ..models import Booking, BookingAction, BookingStatus
from . import notices
from ._common import require_host_manager
from .bookings import _check_may_change, _confirm, _locked, _record
from .links import booking_links_revoke

B = BookingStatus


@transaction.atomic
def booking_confirm(
    *, booking: Booking, acting_user: User | None, request: HttpRequest | None = None
) -> Booking:
    """The host accepts a requested booking. Side effects: audit, e-mails with the invite."""
    require_host_manager(acting_user, booking.host)
    booking = _locked(booking)
    _confirm(booking, acting_user=acting_user, request=request)
    return booking


@transaction.atomic
def booking_cancel(
    *,
    booking: Booking,
    reason: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> Booking:
    """Cancel with a reason; frees the time at once. ``acting_user`` None is the patient.
    Side effects: audit, history event, CANCEL invites, reminders and links withdrawn.
    """
    if not reason.strip():
        raise DomainError(_("Please give a reason for cancelling."), code="reason_required")
    booking = _locked(booking)
    overrode = _check_may_change(booking, acting_user)
    booking.transition_to(B.CANCELLED)
    booking.status_changed_at = timezone.now()
    booking.cancel_reason = reason.strip()[:500]
    booking.sequence += 1
    booking.full_clean(validate_constraints=False)
    booking.save()
    _record(
        booking,
        BookingAction.CANCELLED,
        acting_user=acting_user,
        request=request,
        reason=booking.cancel_reason,
        overrode_notice=overrode,
    )
    # What is still queued about this booking (reminders, an unsent confirmation) goes;
    # then the cancellation itself is queued.
    notifications_cancel_about(about=booking)
    booking_links_revoke(booking=booking)
    notices.booking_news_queue(booking, kind=notices.CANCELLED)
    return booking


def _close(
    booking: Booking,
    status: str,
    action: str,
    *,
    acting_user: User | None,
    request: HttpRequest | None,
) -> Booking:
    require_host_manager(acting_user, booking.host)
    booking = _locked(booking)
    if booking.start_at > timezone.now():
        raise DomainError(
            _("A consultation can be marked only once its time has come."), code="not_started"
        )
    booking.transition_to(status)
    booking.status_changed_at = timezone.now()
    booking.save(update_fields=["status", "status_changed_at", "updated_at"])
    _record(booking, action, acting_user=acting_user, request=request)
    notices.booking_reminders_cancel(booking)
    booking_links_revoke(booking=booking)
    return booking


@transaction.atomic
def booking_complete(
    *, booking: Booking, acting_user: User | None, request: HttpRequest | None = None
) -> Booking:
    """The consultation took place. Side effects: audit, history event."""
    return _close(
        booking, B.COMPLETED, BookingAction.COMPLETED, acting_user=acting_user, request=request
    )


@transaction.atomic
def booking_no_show(
    *, booking: Booking, acting_user: User | None, request: HttpRequest | None = None
) -> Booking:
    """The patient did not come. Side effects: audit, history event."""
    return _close(
        booking, B.NO_SHOW, BookingAction.NO_SHOW, acting_user=acting_user, request=request
    )
