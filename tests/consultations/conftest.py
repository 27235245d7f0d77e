"""Consultation fixtures: the personas' cases, a concierge calendar and a clinic calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from consultations.models import ConsultationType, Host
from intake.models import Case
from tests.conftest import Personas
from tests.intake.conftest import alice_case, bob_case, case_client, knee  # noqa: F401

from .factories import (
    ClinicHostFactory,
    ConciergeHostFactory,
    ConsultationTypeFactory,
    share,
    weekly_hours,
)


@dataclass
class Calendars:
    concierge: Host
    concierge_call: ConsultationType
    clinic_a: Host
    clinic_a_call: ConsultationType
    clinic_b: Host
    clinic_b_call: ConsultationType


@pytest.fixture
def calendars(personas: Personas) -> Calendars:
    """Carmen (Madrid) and both clinics take 30-minute calls 08:00-20:00 every day, local time."""
    concierge = ConciergeHostFactory.create(user=personas.concierge, time_zone="Europe/Madrid")
    clinic_a = ClinicHostFactory.create(clinic=personas.clinic_a, time_zone="America/Mexico_City")
    clinic_b = ClinicHostFactory.create(clinic=personas.clinic_b, time_zone="Asia/Bangkok")
    for host in (concierge, clinic_a, clinic_b):
        weekly_hours(host, dt.time(8), dt.time(20))
    return Calendars(
        concierge=concierge,
        concierge_call=ConsultationTypeFactory.create(host=concierge, name="Concierge call"),
        clinic_a=clinic_a,
        clinic_a_call=ConsultationTypeFactory.create(
            host=clinic_a, name="Doctor's video call", buffer_after_minutes=15
        ),
        clinic_b=clinic_b,
        clinic_b_call=ConsultationTypeFactory.create(host=clinic_b, name="Beta video call"),
    )


def host_time(host: Host, days_ahead: int, hour: int, minute: int = 0) -> dt.datetime:
    """``hour:minute`` on the host's wall clock, ``days_ahead`` days from today (host-local)."""
    today = timezone.now().astimezone(host.zone).date()
    day = today + dt.timedelta(days=days_ahead)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=host.zone).astimezone(dt.UTC)


@pytest.fixture
def alice_shared_with_a(alice_case: Case, personas: Personas) -> Case:  # noqa: F811
    share(alice_case, personas.clinic_a)
    return alice_case
