"""Many patients racing for one time: the database keeps exactly one booking."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from django.db import connection

from consultations.models import Booking, ConsultationType
from consultations.services import SlotTaken, booking_create
from core.models import User
from intake.models import ClinicShare
from tests.factories import ConciergeFactory
from tests.intake.factories import CaseFactory

from .conftest import Calendars, host_time

ATTEMPTS = 12


def _race(
    ctype: ConsultationType, starts: list[datetime], *, acting_user: User | None = None
) -> tuple[int, list[SlotTaken]]:
    """One case and one thread per time in ``starts``, all released at the same instant;
    returns how many bookings the host has afterwards and the refusals."""
    cases = [CaseFactory.create() for _ in starts]
    if ctype.host.clinic_id is not None:
        for case in cases:
            ClinicShare.objects.create(case=case, clinic_id=ctype.host.clinic_id)
    barrier = threading.Barrier(len(starts))
    refused: list[SlotTaken] = []
    errors: list[BaseException] = []

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            booking_create(
                case=cases[index],
                consultation_type=ctype,
                start=starts[index],
                acting_user=acting_user,
            )
        except SlotTaken as exc:
            refused.append(exc)
        except BaseException as exc:  # reported below: a crash is not a refusal
            errors.append(exc)
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(starts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return Booking.objects.filter(host=ctype.host).count(), refused


@pytest.mark.django_db(transaction=True)
def test_many_threads_booking_the_same_slot_make_exactly_one_booking(
    calendars: Calendars, figure: Callable[..., None]
) -> None:
    """
    GIVEN twelve patients who all see 10:00 free in the concierge's calendar
    WHEN they all press "book" at the same instant (one thread and connection each)
    THEN exactly one booking exists and the eleven others were told the time was taken
    """
    start = host_time(calendars.concierge, 3, 10)
    booked, refused = _race(calendars.concierge_call, [start] * ATTEMPTS)
    assert booked == 1
    assert len(refused) == ATTEMPTS - 1
    assert all("just taken" in str(exc) and exc.fresh for exc in refused)
    figure("booking.race", attempts=ATTEMPTS, booked=booked, db=connection.vendor)


@pytest.mark.django_db(transaction=True)
def test_overlapping_buffered_slots_of_one_host_make_exactly_one_booking(
    calendars: Calendars, figure: Callable[..., None]
) -> None:
    """
    GIVEN a 30-minute clinic call with 15 free minutes after it
    WHEN half the bookings race for 10:00 and half for 10:30 (inside 10:00's buffer),
         made by staff for twelve patients whose cases are shared with the clinic
    THEN only one of the two times is booked, once
    """
    ctype = calendars.clinic_a_call
    ten = host_time(calendars.clinic_a, 3, 10)
    half_past = host_time(calendars.clinic_a, 3, 10, 30)
    starts = [ten if i % 2 else half_past for i in range(ATTEMPTS)]
    booked, refused = _race(ctype, starts, acting_user=ConciergeFactory.create())
    assert booked == 1
    assert len(refused) == ATTEMPTS - 1
    figure("booking.race_buffers", attempts=ATTEMPTS, booked=booked, db=connection.vendor)
