"""What the database itself refuses, whatever writes the row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from consultations.models import Booking, BookingStatus, Host, HostKind
from intake.models import Case
from tests.db import constraint_pattern

from .conftest import Calendars, host_time

pytestmark = pytest.mark.django_db


def _row(case: Case, calendars: Calendars, start: dt.datetime, **extra: object) -> Booking:
    ctype = calendars.concierge_call
    values: dict[str, object] = {
        "host": calendars.concierge,
        "consultation_type": ctype,
        "case": case,
        "status": BookingStatus.CONFIRMED,
        "start_at": start,
        "end_at": start + dt.timedelta(minutes=30),
        "blocked_start": start,
        "blocked_end": start + dt.timedelta(minutes=30),
        "modality": "video",
        **extra,
    }
    return Booking(**values)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="exclusion constraints are "
    "PostgreSQL's; SQLite is serialised by the service (test_race.py)",
)
def test_postgres_refuses_two_active_overlapping_bookings_written_around_the_service(
    alice_case: Case, bob_case: Case, calendars: Calendars
) -> None:
    start = host_time(calendars.concierge, 3, 10)
    _row(alice_case, calendars, start).save()
    with (
        pytest.raises(IntegrityError, match="consultations_booking_no_overlap"),
        transaction.atomic(),
    ):
        _row(bob_case, calendars, start + dt.timedelta(minutes=15)).save()
    # Back to back is fine (half-open ranges), and a cancelled booking holds no time.
    _row(bob_case, calendars, start + dt.timedelta(minutes=30)).save()
    _row(bob_case, calendars, start, status=BookingStatus.CANCELLED).save()


def test_a_booking_cannot_end_before_it_starts(alice_case: Case, calendars: Calendars) -> None:
    start = host_time(calendars.concierge, 3, 10)
    row = _row(alice_case, calendars, start)
    row.end_at = start - dt.timedelta(minutes=1)
    with (
        pytest.raises(
            IntegrityError, match=constraint_pattern("consultations_booking_end_after_start")
        ),
        transaction.atomic(),
    ):
        row.save()


def test_a_concierge_host_has_a_staff_user_and_no_clinic(calendars: Calendars) -> None:
    with (
        pytest.raises(
            IntegrityError, match=constraint_pattern("consultations_host_kind_matches_owner")
        ),
        transaction.atomic(),
    ):
        Host.objects.create(kind=HostKind.CONCIERGE, name="Nobody", time_zone="UTC")
