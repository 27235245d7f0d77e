"""Calendars, consultations and completed treatments for the load data set.

No two active consultations of a host overlap (the exclusion constraint holds):
each host's consultations take distinct whole hours of its working day, and a
consultation with its buffers lasts under an hour. One clinic, ``BUSY_SLUG``,
has a busy month ahead: the slot benchmark computes its calendar.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from clinics.models import Clinic, ClinicStatus
from consultations.models import (
    AvailabilityRule,
    Booking,
    BookingAction,
    BookingEvent,
    BookingStatus,
    ConsultationType,
    Host,
    HostKind,
    Modality,
    PhaseKind,
    RecordStatus,
    TreatmentRecord,
    VideoLink,
)
from core.demo import ensure_user
from core.models import Role

from . import LOAD_MARK
from .bulk import Writer
from .cases import LoadedCase
from .clinics import SLUG_PREFIX, LoadedClinic
from .words import SITES

BUSY_SLUG = f"{SLUG_PREFIX}busy-calendar"
ROOM = "https://meet.jit.si/concierge-load-"
WORKING_HOURS = range(9, 17)  # whole hours, host-local
PAST_DAYS, AHEAD_DAYS = 400, 60
BUSY_DAYS = 35
BOOKABLE = ("in_review", "clinician_review", "ready_for_clinic", "matched", "closed")
TREATED = ("matched", "closed")


@dataclass
class Calendar:
    host_id: int
    type_id: int
    zone: zoneinfo.ZoneInfo
    taken: set[tuple[int, int]]


def _host(
    writer: Writer,
    *,
    name: str,
    zone: str,
    kind: str,
    clinic_id: int | None = None,
    user_id: int | None = None,
    step: int = 30,
    days: range = range(5),
    hours: tuple[int, int] = (9, 17),
) -> tuple[Host, ConsultationType, list[AvailabilityRule]]:
    host = writer.assign(
        Host(kind=kind, clinic_id=clinic_id, user_id=user_id, name=name, time_zone=zone)
    )
    ctype = writer.assign(
        ConsultationType(
            host_id=host.pk,
            name="Video consultation",
            duration_minutes=30,
            buffer_after_minutes=15,
            slot_step_minutes=step,
            min_notice_hours=12,
            modality=Modality.VIDEO,
            video_link=VideoLink.GENERATED_ROOM,
        )
    )
    rules = [
        writer.assign(
            AvailabilityRule(
                host_id=host.pk,
                weekday=day,
                start_time=dt.time(hours[0]),
                end_time=dt.time(hours[1]),
            )
        )
        for day in days
    ]
    return host, ctype, rules


def load_calendars(
    writer: Writer,
    rng: random.Random,
    *,
    clinics: list[LoadedClinic],
    cases: list[LoadedCase],
    bookings: int,
    concierge_hosts: int,
) -> int:
    """Hosts with weekly hours, ``bookings`` consultations spread over them, a busy clinic."""
    hosts: list[Host] = []
    types: list[ConsultationType] = []
    rules: list[AvailabilityRule] = []
    calendars: list[Calendar] = []

    def add(host: Host, ctype: ConsultationType, more: list[AvailabilityRule]) -> Calendar:
        hosts.append(host)
        types.append(ctype)
        rules.extend(more)
        calendar = Calendar(
            int(host.pk), int(ctype.pk), zoneinfo.ZoneInfo(str(host.time_zone)), set()
        )
        calendars.append(calendar)
        return calendar

    for index in range(1, concierge_hosts + 1):
        user = ensure_user(
            f"load-concierge-{index}@concierge.example",
            full_name=f"Concierge {index}",
            role=Role.CONCIERGE,
            is_staff=True,
        )
        add(
            *_host(
                writer,
                name=f"Concierge {index}",
                zone="Europe/Madrid",
                kind=HostKind.CONCIERGE,
                user_id=user.pk,
            )
        )
    for clinic in clinics:
        if clinic.status == ClinicStatus.VETTED:
            add(
                *_host(
                    writer,
                    name=clinic.name,
                    zone=clinic.zone,
                    kind=HostKind.CLINIC,
                    clinic_id=clinic.pk,
                )
            )
    busy_clinic = writer.assign(
        Clinic(
            name="Busy Calendar Clinic",
            slug=BUSY_SLUG,
            country="CO",
            city="Medellín",
            time_zone="America/Bogota",
            languages=["es", "en"],
            status=ClinicStatus.VETTED,
            description=LOAD_MARK,
        )
    )
    writer.insert(Clinic, [busy_clinic])
    busy = add(
        *_host(
            writer,
            name=busy_clinic.name,
            zone="America/Bogota",
            kind=HostKind.CLINIC,
            clinic_id=busy_clinic.pk,
            step=15,
            days=range(6),
            hours=(8, 18),
        )
    )
    writer.insert(Host, hosts)
    writer.insert(ConsultationType, types)
    writer.insert(AvailabilityRule, rules)

    bookable = [c for c in cases if c.status in BOOKABLE]
    rows: list[Booking] = []
    today = timezone.localdate()
    now = timezone.now()
    for start, end in _busy_month(busy, rng, today):
        rows.append(_booking(writer, rng, busy, rng.choice(bookable), start, end, now))
    while len(rows) < bookings:
        calendar = rng.choice(calendars[:-1])
        key = (rng.randint(-PAST_DAYS, AHEAD_DAYS), rng.choice(WORKING_HOURS))
        if key in calendar.taken:
            continue
        calendar.taken.add(key)
        local = dt.datetime.combine(
            today + dt.timedelta(days=key[0]), dt.time(key[1]), tzinfo=calendar.zone
        )
        start = local.astimezone(dt.UTC)
        rows.append(
            _booking(
                writer,
                rng,
                calendar,
                rng.choice(bookable),
                start,
                start + dt.timedelta(minutes=30),
                now,
            )
        )
    writer.insert(Booking, rows)
    writer.insert(
        BookingEvent,
        [
            writer.assign(
                BookingEvent(
                    booking_id=b.pk,
                    action=BookingAction.BOOKED,
                    at=b.created_at,
                    actor_label="patient",
                )
            )
            for b in rows
        ],
    )
    return len(rows)


def _busy_month(
    calendar: Calendar, rng: random.Random, today: dt.date
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Seven in ten working hours of the busy clinic's next five weeks are booked."""
    spans = []
    for offset in range(1, BUSY_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        if day.weekday() > 5:
            continue
        for hour in range(8, 18):
            if rng.random() < 0.7:
                start = dt.datetime.combine(day, dt.time(hour), tzinfo=calendar.zone)
                start = start.astimezone(dt.UTC)
                spans.append((start, start + dt.timedelta(minutes=30)))
    return spans


def _booking(
    writer: Writer,
    rng: random.Random,
    calendar: Calendar,
    case: LoadedCase,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> Booking:
    if start < now:
        status = rng.choices(
            [BookingStatus.COMPLETED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED], [80, 5, 15]
        )[0]
    else:
        status = rng.choices(
            [BookingStatus.CONFIRMED, BookingStatus.REQUESTED, BookingStatus.CANCELLED], [85, 10, 5]
        )[0]
    booked = min(now, start - dt.timedelta(days=rng.randint(2, 20)))
    return writer.assign(
        Booking(
            uid=uuid.UUID(int=rng.getrandbits(128), version=4),
            host_id=calendar.host_id,
            consultation_type_id=calendar.type_id,
            case_id=case.pk,
            status=status,
            status_changed_at=booked,
            start_at=start,
            end_at=end,
            blocked_start=start,
            blocked_end=end + dt.timedelta(minutes=15),
            patient_time_zone=case.zone,
            modality=Modality.VIDEO,
            meeting_url=f"{ROOM}{rng.getrandbits(64):016x}",
            created_at=booked,
            question="Is my knee a good candidate given the MRI?",
        )
    )


def load_treatments(
    writer: Writer,
    rng: random.Random,
    *,
    clinics: list[LoadedClinic],
    cases: list[LoadedCase],
    count: int,
) -> list[TreatmentRecord]:
    """``count`` completed treatments of treated cases, over the last fifteen months."""
    treated = [c for c in cases if c.status in TREATED]
    rng.shuffle(treated)
    with_offerings = [c for c in clinics if c.status == ClinicStatus.VETTED and c.offerings]
    now = timezone.now()
    rows: list[TreatmentRecord] = []
    for case in treated[:count]:
        clinic = rng.choice(with_offerings)
        offering = rng.choice(clinic.offerings)
        treated_on = (now - dt.timedelta(days=rng.randint(3, 450))).date()
        completed = dt.datetime.combine(treated_on, dt.time(18), tzinfo=dt.UTC)
        rows.append(
            writer.assign(
                TreatmentRecord(
                    case_id=case.pk,
                    clinic_id=clinic.pk,
                    offering_id=offering.pk,
                    kind=PhaseKind.TREATMENT,
                    status=RecordStatus.COMPLETED,
                    treated_on=treated_on,
                    cell_count_millions=offering.cell_count,
                    volume_ml=offering.volume,
                    route=offering.route,
                    site=rng.choice(SITES),
                    cell_lot=f"LOT-{rng.getrandbits(32):08X}",
                    treating_doctor_id=rng.choice(clinic.doctors) if clinic.doctors else None,
                    completed_at=completed,
                    created_at=completed,
                )
            )
        )
    writer.insert(TreatmentRecord, rows)
    return rows
