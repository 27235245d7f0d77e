"""Slot arithmetic: wall-clock rules in the host's zone, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import translation

from consultations.models import Booking, BookingStatus, DateException
from consultations.presenters import two_clocks
from consultations.slots import Blocked, free_slots, slot_grid, wall_to_instant
from tests.intake.factories import CaseFactory

from .factories import (
    ClinicHostFactory,
    ConciergeHostFactory,
    ConsultationTypeFactory,
    weekly_hours,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)  # long before every change day used below


def _day(ctype, day: dt.date) -> list:  # type: ignore[no-untyped-def]
    zone = ctype.host.zone
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return free_slots(
        consultation_type=ctype,
        window_start=start,
        window_end=start + dt.timedelta(hours=30),
        now=NOW,
    )


def _walls(slots: list, day: dt.date) -> list[str]:  # type: ignore[type-arg]
    return [f"{s.host_local:%H:%M}" for s in slots if s.host_local.date() == day]


def _night_host(zone: str):  # type: ignore[no-untyped-def]
    host = ConciergeHostFactory.create(time_zone=zone)
    weekly_hours(host, dt.time(1), dt.time(4))
    return ConsultationTypeFactory.create(host=host)


def test_a_wall_time_in_the_spring_gap_does_not_exist() -> None:
    ny = zoneinfo.ZoneInfo("America/New_York")
    assert wall_to_instant(dt.datetime(2027, 3, 14, 2, 30), ny) is None
    assert wall_to_instant(dt.datetime(2027, 3, 14, 3, 0), ny) == dt.datetime(
        2027, 3, 14, 7, 0, tzinfo=dt.UTC
    )


def test_an_ambiguous_wall_time_resolves_to_its_first_occurrence() -> None:
    ny = zoneinfo.ZoneInfo("America/New_York")
    # 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST): the first is taken.
    assert wall_to_instant(dt.datetime(2027, 11, 7, 1, 30), ny) == dt.datetime(
        2027, 11, 7, 5, 30, tzinfo=dt.UTC
    )


def test_a_new_york_host_loses_the_skipped_hour_and_nothing_else_in_spring() -> None:
    ctype = _night_host("America/New_York")
    day = dt.date(2027, 3, 14)
    assert _walls(_day(ctype, day), day) == ["01:00", "01:30", "03:00", "03:30"]


def test_a_new_york_host_offers_the_repeated_hour_once_in_autumn() -> None:
    ctype = _night_host("America/New_York")
    day = dt.date(2027, 11, 7)
    slots = _day(ctype, day)
    assert _walls(slots, day) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    starts = [s.start for s in slots]
    assert len(starts) == len(set(starts))
    assert slots[0].start == dt.datetime(2027, 11, 7, 5, 0, tzinfo=dt.UTC)  # 01:00 EDT


def test_a_nine_oclock_rule_stays_nine_oclock_local_across_the_change() -> None:
    host = ConciergeHostFactory.create(time_zone="America/New_York")
    weekly_hours(host, dt.time(9), dt.time(10))
    ctype = ConsultationTypeFactory.create(host=host, duration_minutes=60)
    before, after = dt.date(2027, 3, 13), dt.date(2027, 3, 15)
    (saturday,) = _day(ctype, before)
    (monday,) = _day(ctype, after)
    assert f"{saturday.host_local:%H:%M}" == f"{monday.host_local:%H:%M}" == "09:00"
    assert saturday.start.hour == 14 and monday.start.hour == 13  # UTC moved, local did not


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Spring: 02:00 jumps to 02:30; only the half hour in the gap is lost.
        (dt.date(2027, 10, 3), ["01:00", "01:30", "02:30", "03:00", "03:30"]),
        # Autumn: 02:00 falls back to 01:30; 01:30 is offered once.
        (dt.date(2027, 4, 4), ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]),
    ],
)
def test_a_lord_howe_host_handles_the_half_hour_shift(day: dt.date, expected: list[str]) -> None:
    ctype = _night_host("Australia/Lord_Howe")
    slots = _day(ctype, day)
    assert _walls(slots, day) == expected
    assert len({s.start for s in slots}) == len(slots)
    assert all(s.end - s.start == dt.timedelta(minutes=30) for s in slots)


@pytest.mark.parametrize(
    ("day", "madrid"),
    [
        (dt.date(2027, 3, 27), "Sat 27 Mar, 15:00"),  # Madrid on winter time (UTC+1)
        (dt.date(2027, 3, 29), "Mon 29 Mar, 16:00"),  # Madrid on summer time (UTC+2)
        (dt.date(2027, 10, 30), "Sat 30 Oct, 16:00"),
        (dt.date(2027, 11, 1), "Mon 1 Nov, 15:00"),
    ],
)
def test_a_bogota_clinic_shown_to_a_madrid_patient_keeps_its_own_nine_oclock(
    day: dt.date, madrid: str
) -> None:
    host = ClinicHostFactory.create(clinic__city="Bogota", time_zone="America/Bogota")
    weekly_hours(host, dt.time(9), dt.time(9, 30))
    ctype = ConsultationTypeFactory.create(host=host)
    (slot,) = _day(ctype, day)
    assert f"{slot.host_local:%H:%M}" == "09:00"
    with translation.override("en"):
        label = two_clocks(slot.start, viewer_zone="Europe/Madrid", host=host)
    assert label == f"{madrid} your time - 09:00 in Bogota"


def test_a_date_exception_blocks_that_local_day_only() -> None:
    host = ConciergeHostFactory.create(time_zone="America/Bogota")
    weekly_hours(host, dt.time(9), dt.time(10))
    ctype = ConsultationTypeFactory.create(host=host)
    DateException.objects.create(host=host, date=dt.date(2027, 3, 10), reason="Holiday")
    zone = host.zone
    start = dt.datetime(2027, 3, 9, tzinfo=zone)
    grid = slot_grid(
        consultation_type=ctype,
        window_start=start,
        window_end=start + dt.timedelta(days=3),
        now=NOW,
    )
    blocked = {s.host_local.date(): s.blocked for s in grid}
    assert blocked[dt.date(2027, 3, 10)] == Blocked.EXCEPTION
    assert blocked[dt.date(2027, 3, 9)] is None and blocked[dt.date(2027, 3, 11)] is None


def test_buffers_block_the_neighbouring_starts() -> None:
    host = ConciergeHostFactory.create(time_zone="UTC")
    weekly_hours(host, dt.time(9), dt.time(12))
    ctype = ConsultationTypeFactory.create(
        host=host, buffer_before_minutes=15, buffer_after_minutes=15
    )
    case = CaseFactory.create()
    ten = dt.datetime(2027, 3, 10, 10, tzinfo=dt.UTC)
    Booking.objects.create(
        host=host,
        consultation_type=ctype,
        case=case,
        status=BookingStatus.CONFIRMED,
        start_at=ten,
        end_at=ten + dt.timedelta(minutes=30),
        blocked_start=ten - dt.timedelta(minutes=15),
        blocked_end=ten + dt.timedelta(minutes=45),
        modality="video",
    )
    free = [f"{s.host_local:%H:%M}" for s in _day(ctype, dt.date(2027, 3, 10))]
    # 09:30 would end at 10:00 and its 15-minute buffer meets the 10:00 booking's own.
    assert free == ["09:00", "11:00", "11:30"]


def test_a_month_of_bookings_costs_the_same_few_queries(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    host = ConciergeHostFactory.create(time_zone="Europe/Madrid")
    weekly_hours(host, dt.time(8), dt.time(18))
    ctype = ConsultationTypeFactory.create(host=host)
    case = CaseFactory.create()
    zone = host.zone
    first = dt.datetime(2027, 3, 1, tzinfo=zone)
    rows = []
    for day in range(31):
        for hour in (9, 11, 15):
            start = (first + dt.timedelta(days=day)).replace(hour=hour).astimezone(dt.UTC)
            rows.append(
                Booking(
                    host=host,
                    consultation_type=ctype,
                    case=case,
                    status="confirmed",
                    start_at=start,
                    end_at=start + dt.timedelta(minutes=30),
                    blocked_start=start,
                    blocked_end=start + dt.timedelta(minutes=30),
                    modality="video",
                )
            )
    Booking.objects.bulk_create(rows)
    ctype = type(ctype).objects.select_related("host").get(pk=ctype.pk)
    with django_assert_num_queries(3):  # rules, exceptions, bookings: never per day or booking
        grid = slot_grid(
            consultation_type=ctype,
            window_start=first,
            window_end=first + dt.timedelta(days=31),
            now=NOW,
        )
    assert sum(1 for s in grid if s.blocked == Blocked.BOOKED) == 93
    assert sum(1 for s in grid if s.is_free) == 31 * 20 - 93
