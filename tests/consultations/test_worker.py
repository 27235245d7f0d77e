"""Reminders with a real worker on the real broker and a real SMTP server."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.utils import timezone

from consultations.models import Booking
from consultations.services import booking_cancel, booking_create, booking_reschedule
from core.models import Notification
from core.tasks import outbox_dispatch
from tests.conftest import SmtpSink
from tests.intake.factories import CaseFactory

from .conftest import Calendars, host_time

REMINDER = "consultations.booking_reminder"


def _wait(until: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_due_reminders_are_delivered_once_and_unwanted_ones_never(
    celery_worker: object,
    smtp_sink: SmtpSink,
    calendars: Calendars,
    figure: Callable[..., None],
) -> None:
    """
    GIVEN five confirmed consultations (a reminder each 24 h and 1 h before, for the patient
          and the host), one moved and one cancelled after their reminders were queued
    WHEN their reminder time comes and the dispatcher runs (as beat runs it)
    THEN the worker delivers every due reminder exactly once, the moved booking is reminded
         of its new time only, and the cancelled booking's reminder is cancelled at send time
    """
    bookings = [
        booking_create(
            case=CaseFactory.create(),
            consultation_type=calendars.concierge_call,
            start=host_time(calendars.concierge, 3, 9 + i),
            acting_user=None,
        )
        for i in range(7)
    ]
    moved, cancelled = bookings[5], bookings[6]
    stale = list(Notification.objects.filter(kind=REMINDER, about_id=str(cancelled.pk)))
    booking_reschedule(
        booking=moved, start=host_time(calendars.concierge, 4, 10), reason="Clash", acting_user=None
    )
    booking_cancel(booking=Booking.objects.get(pk=cancelled.pk), reason="Better", acting_user=None)
    # Time passes: every reminder still queued is due now. The cancelled booking's reminders
    # are forced back into the queue too, as if the cancellation had missed them.
    Notification.objects.filter(pk__in=[n.pk for n in stale]).update(status="queued")
    due_rows = Notification.objects.filter(kind=REMINDER, status="queued")
    unwanted = due_rows.filter(about_id=str(cancelled.pk)).count()
    due = due_rows.count() - unwanted
    due_rows.update(due_at=timezone.now())
    reminder_ids = set(
        Notification.objects.filter(kind=REMINDER).values_list("message_id", flat=True)
    )

    outbox_dispatch.delay()
    _wait(
        lambda: (
            not Notification.objects.filter(
                kind=REMINDER, status__in=["queued", "sending"]
            ).exists()
        )
    )
    _wait(
        lambda: len([m for m in smtp_sink.messages if m["Message-ID"] in reminder_ids]) >= due,
        timeout=15,
    )

    delivered = [m["Message-ID"] for m in smtp_sink.messages if m["Message-ID"] in reminder_ids]
    duplicates = sum(n - 1 for n in Counter(delivered).values())
    figure(
        "reminders.dispatch",
        due=due,
        delivered=len(set(delivered)),
        duplicates=duplicates,
        unwanted_cancelled=unwanted,
    )
    assert due == 6 * 4  # six standing bookings x (24 h, 1 h) x (patient, host)
    assert len(set(delivered)) == due and duplicates == 0
    assert (
        Notification.objects.filter(
            kind=REMINDER, about_id=str(cancelled.pk), status="sent"
        ).count()
        == 0
    )
    moved_times = {
        n.data["start"]
        for n in Notification.objects.filter(kind=REMINDER, status="sent", about_id=str(moved.pk))
    }
    moved.refresh_from_db()
    assert moved_times == {moved.start_at.isoformat()}
