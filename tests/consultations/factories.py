"""Factories for consultations: hosts, weekly hours, types, bookings and treatments."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from factory.django import DjangoModelFactory

from clinics.models import Clinic
from consultations.models import (
    AvailabilityRule,
    ConsultationType,
    Host,
    HostKind,
    Modality,
    VideoLink,
)
from core.models import User
from intake.models import Case, ClinicShare
from tests.factories import ClinicFactory, ConciergeFactory


class ConciergeHostFactory(DjangoModelFactory[Host]):
    class Meta:
        model = Host

    kind = HostKind.CONCIERGE
    user = factory.SubFactory(ConciergeFactory)
    name = "Carmen (concierge)"
    time_zone = "Europe/Madrid"


class ClinicHostFactory(DjangoModelFactory[Host]):
    class Meta:
        model = Host

    kind = HostKind.CLINIC
    clinic = factory.SubFactory(ClinicFactory)
    name = factory.LazyAttribute(lambda o: o.clinic.name)
    time_zone = factory.LazyAttribute(lambda o: str(o.clinic.time_zone))


class ConsultationTypeFactory(DjangoModelFactory[ConsultationType]):
    class Meta:
        model = ConsultationType

    host = factory.SubFactory(ConciergeHostFactory)
    name = "First video call"
    duration_minutes = 30
    slot_step_minutes = 30
    buffer_before_minutes = 0
    buffer_after_minutes = 0
    min_notice_hours = 0
    horizon_days = 365
    min_change_notice_hours = 24
    modality = Modality.VIDEO
    video_link = VideoLink.GENERATED_ROOM


def weekly_hours(
    host: Host, start: dt.time, end: dt.time, weekdays: range | list[int] = range(7)
) -> list[AvailabilityRule]:
    """The same hours on each of ``weekdays`` (host-local wall time)."""
    return [
        AvailabilityRule.objects.create(host=host, weekday=day, start_time=start, end_time=end)
        for day in weekdays
    ]


def share(case: Case, clinic: Clinic) -> ClinicShare:
    return ClinicShare.objects.create(case=case, clinic=clinic)


def next_weekday(after: dt.date, weekday: int) -> dt.date:
    """The first ``weekday`` strictly after ``after``."""
    days = (weekday - after.weekday()) % 7 or 7
    return after + dt.timedelta(days=days)


def staff_user(**kwargs: Any) -> User:
    return ConciergeFactory.create(**kwargs)
