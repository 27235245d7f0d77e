"""Booking: who may book what, every refusal with its message, and the lifecycle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from consultations.models import Booking, BookingAction, BookingStatus, DateException
from consultations.services import (
    SlotTaken,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_create,
    booking_no_show,
    booking_reschedule,
)
from core.exceptions import DomainError
from core.models import AuditEvent, Notification
from core.transitions import TransitionError
from intake.models import Case
from tests.conftest import Personas

from .conftest import Calendars, host_time
from .factories import share

pytestmark = pytest.mark.django_db


def book_concierge(case: Case, calendars: Calendars, days: int = 3, hour: int = 10) -> Booking:
    return booking_create(
        case=case,
        consultation_type=calendars.concierge_call,
        start=host_time(calendars.concierge, days, hour),
        acting_user=None,
    )


def test_a_patient_books_the_concierge_and_it_is_confirmed_with_mail_for_both_sides(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    booking = book_concierge(alice_case, calendars)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.meeting_url.startswith("https://meet.jit.si/concierge-")
    assert len(booking.meeting_url) > len("https://meet.jit.si/concierge-") + 20
    assert [e.action for e in booking.events.all()] == [
        BookingAction.BOOKED,
        BookingAction.CONFIRMED,
    ]
    kinds = set(Notification.objects.values_list("kind", "recipient_user__email"))
    assert ("consultations.booking_confirmed", None) in kinds  # the patient, read at send time
    assert ("consultations.booking_confirmed", personas.concierge.email) in kinds
    reminders = Notification.objects.filter(kind="consultations.booking_reminder")
    assert reminders.count() == 4  # 24 h and 1 h, patient and host
    assert {r.due_at for r in reminders} == {
        booking.start_at - dt.timedelta(hours=24),
        booking.start_at - dt.timedelta(hours=1),
    }
    assert AuditEvent.objects.filter(action="consultations.booking.booked").exists()


def test_the_patient_hears_in_their_zone_and_the_host_in_the_hosts(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    booking = booking_create(
        case=alice_case,
        consultation_type=calendars.concierge_call,
        start=host_time(calendars.concierge, 3, 10),
        acting_user=None,
        patient_time_zone="America/Bogota",
    )
    zones = dict(
        Notification.objects.filter(kind="consultations.booking_confirmed").values_list(
            "data__for_host", "time_zone"
        )
    )
    assert zones == {False: "America/Bogota", True: "Europe/Madrid"}
    assert str(booking.patient_time_zone) == "America/Bogota"


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (lambda c: host_time(c.concierge, -1, 10), "past"),
        (lambda c: host_time(c.concierge, 2, 10, 10), "outside_availability"),
        (lambda c: host_time(c.concierge, 2, 21), "outside_availability"),
        (lambda c: host_time(c.concierge, 400, 10), "horizon"),
    ],
)
def test_it_refuses_times_the_calendar_does_not_offer(
    alice_case: Case,
    calendars: Calendars,
    when,
    code: str,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(DomainError) as refused:
        booking_create(
            case=alice_case,
            consultation_type=calendars.concierge_call,
            start=when(calendars),
            acting_user=None,
        )
    assert refused.value.code == code
    assert str(refused.value)
    assert not Booking.objects.exists()


def test_it_refuses_a_time_inside_the_minimum_notice(
    alice_case: Case, calendars: Calendars
) -> None:
    ctype = calendars.concierge_call
    ctype.min_notice_hours = 72
    ctype.save()
    with pytest.raises(DomainError, match="minimum booking notice") as refused:
        booking_create(
            case=alice_case,
            consultation_type=ctype,
            start=host_time(calendars.concierge, 2, 10),
            acting_user=None,
        )
    assert refused.value.code == "notice"


def test_it_refuses_a_date_exception(alice_case: Case, calendars: Calendars) -> None:
    start = host_time(calendars.concierge, 4, 10)
    DateException.objects.create(
        host=calendars.concierge,
        date=start.astimezone(calendars.concierge.zone).date(),
        reason="Out of office",
    )
    with pytest.raises(DomainError, match="not available on this date"):
        booking_create(
            case=alice_case,
            consultation_type=calendars.concierge_call,
            start=start,
            acting_user=None,
        )


def test_a_taken_time_is_refused_with_fresh_slots(
    alice_case: Case, bob_case: Case, calendars: Calendars
) -> None:
    book_concierge(alice_case, calendars)
    with pytest.raises(SlotTaken) as refused:
        book_concierge(bob_case, calendars)
    assert "just taken" in str(refused.value)
    assert refused.value.fresh and all(s.is_free for s in refused.value.fresh)
    assert host_time(calendars.concierge, 3, 10) not in {s.start for s in refused.value.fresh}
    assert Booking.objects.count() == 1


def test_a_time_overlapping_a_buffer_is_refused(
    alice_shared_with_a: Case, bob_case: Case, calendars: Calendars, personas: Personas
) -> None:
    """The clinic call has 15 minutes free after it: 10:00-10:30 blocks until 10:45."""
    share(bob_case, personas.clinic_a)
    book_concierge(alice_shared_with_a, calendars, hour=9)
    book_concierge(bob_case, calendars, hour=11)
    ctype = calendars.clinic_a_call
    booking_create(
        case=alice_shared_with_a,
        consultation_type=ctype,
        start=host_time(calendars.clinic_a, 3, 10),
        acting_user=None,
    )
    with pytest.raises(SlotTaken):
        booking_create(
            case=bob_case,
            consultation_type=ctype,
            start=host_time(calendars.clinic_a, 3, 10, 30),
            acting_user=None,
        )
    booking_create(
        case=bob_case,
        consultation_type=ctype,
        start=host_time(calendars.clinic_a, 3, 11),
        acting_user=None,
    )


def test_a_clinic_the_case_is_not_shared_with_cannot_be_booked(
    alice_case: Case, calendars: Calendars
) -> None:
    book_concierge(alice_case, calendars)
    with pytest.raises(DomainError, match="Share your case") as refused:
        booking_create(
            case=alice_case,
            consultation_type=calendars.clinic_b_call,
            start=host_time(calendars.clinic_b, 3, 10),
            acting_user=None,
        )
    assert refused.value.code == "not_shared"


def test_the_concierge_consultation_comes_first(
    alice_shared_with_a: Case, calendars: Calendars
) -> None:
    with pytest.raises(DomainError, match="concierge team first"):
        booking_create(
            case=alice_shared_with_a,
            consultation_type=calendars.clinic_a_call,
            start=host_time(calendars.clinic_a, 3, 10),
            acting_user=None,
        )
    book_concierge(alice_shared_with_a, calendars)
    booking = booking_create(
        case=alice_shared_with_a,
        consultation_type=calendars.clinic_a_call,
        start=host_time(calendars.clinic_a, 3, 10),
        acting_user=None,
    )
    assert booking.host == calendars.clinic_a


def test_concierge_types_are_free(calendars: Calendars) -> None:
    ctype = calendars.concierge_call
    ctype.price_usd = 50
    with pytest.raises(Exception, match="free"):
        ctype.full_clean()


def test_clinic_staff_cannot_book_on_another_clinics_calendar(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    share(alice_case, personas.clinic_b)
    with pytest.raises(PermissionDenied):
        booking_create(
            case=alice_case,
            consultation_type=calendars.clinic_b_call,
            start=host_time(calendars.clinic_b, 3, 10),
            acting_user=personas.clinic_a_staff,
        )


def test_a_reschedule_keeps_the_booking_and_its_history_and_raises_the_sequence(
    alice_case: Case, calendars: Calendars
) -> None:
    booking = book_concierge(alice_case, calendars, days=5)
    uid, old = booking.uid, booking.start_at
    moved = booking_reschedule(
        booking=booking,
        start=host_time(calendars.concierge, 6, 12),
        reason="A work meeting",
        acting_user=None,
    )
    assert moved.pk == booking.pk and moved.uid == uid and moved.sequence == 1
    event = moved.events.get(action=BookingAction.RESCHEDULED)
    assert event.previous_start == old and event.new_start == moved.start_at
    assert event.reason == "A work meeting"
    reminders = Notification.objects.filter(kind="consultations.booking_reminder")
    assert set(reminders.filter(status="queued").values_list("data__start", flat=True)) == {
        moved.start_at.isoformat()
    }
    assert reminders.filter(status="cancelled").count() == 4
    assert Notification.objects.filter(kind="consultations.booking_updated").count() == 2


def test_a_patient_cannot_change_inside_the_notice_but_the_host_can(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    booking = book_concierge(alice_case, calendars, days=3)
    ctype = calendars.concierge_call
    ctype.min_change_notice_hours = 5 * 24  # the booking is now inside the notice
    ctype.save()
    with pytest.raises(DomainError, match="too late") as refused:
        booking_cancel(booking=booking, reason="Cannot make it", acting_user=None)
    assert refused.value.code == "inside_notice"
    with pytest.raises(DomainError, match="too late"):
        booking_reschedule(
            booking=booking,
            start=host_time(calendars.concierge, 4, 10),
            reason="Later",
            acting_user=None,
        )
    cancelled = booking_cancel(booking=booking, reason="Doctor ill", acting_user=personas.concierge)
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.events.get(action=BookingAction.CANCELLED).overrode_notice


def test_cancelling_needs_a_reason_frees_the_time_and_withdraws_reminders(
    alice_case: Case, bob_case: Case, calendars: Calendars
) -> None:
    booking = book_concierge(alice_case, calendars)
    with pytest.raises(DomainError, match="reason"):
        booking_cancel(booking=booking, reason="  ", acting_user=None)
    booking_cancel(booking=booking, reason="Feeling better", acting_user=None)
    assert not Notification.objects.filter(
        kind="consultations.booking_reminder", status="queued"
    ).exists()
    assert Notification.objects.filter(kind="consultations.booking_cancelled").count() == 2
    assert book_concierge(bob_case, calendars).status == BookingStatus.CONFIRMED


def test_a_host_confirms_a_request_then_marks_it_after_the_time(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    ctype = calendars.concierge_call
    ctype.requires_confirmation = True
    ctype.save()
    booking = book_concierge(alice_case, calendars)
    assert booking.status == BookingStatus.REQUESTED
    assert not Notification.objects.filter(kind="consultations.booking_reminder").exists()
    with pytest.raises(PermissionDenied):
        booking_confirm(booking=booking, acting_user=personas.clinic_a_staff)
    booking = booking_confirm(booking=booking, acting_user=personas.concierge)
    assert booking.status == BookingStatus.CONFIRMED
    with pytest.raises(DomainError, match="once its time has come"):
        booking_complete(booking=booking, acting_user=personas.concierge)
    now = timezone.now()
    Booking.objects.filter(pk=booking.pk).update(
        start_at=now - dt.timedelta(hours=1),
        end_at=now,
        blocked_start=now - dt.timedelta(hours=1),
        blocked_end=now,
    )
    booking = booking_no_show(booking=booking, acting_user=personas.concierge)
    assert booking.status == BookingStatus.NO_SHOW
    with pytest.raises(TransitionError):
        booking_complete(booking=booking, acting_user=personas.concierge)
