"""The demo: calendars, consultations in the next days, a two-phase plan, a treatment."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from consultations.models import (
    Booking,
    Host,
    HostKind,
    PhaseKind,
    RecordStatus,
    TreatmentPlan,
    TreatmentRecord,
)

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_consultations_and_is_idempotent() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Consultations:" in out.getvalue()
    assert Host.objects.filter(kind=HostKind.CONCIERGE).count() == 2
    assert Host.objects.filter(kind=HostKind.CLINIC).count() >= 3
    upcoming = Booking.objects.active().filter(start_at__gt=timezone.now())
    assert upcoming.count() >= 4
    plan = TreatmentPlan.objects.get(phases__kind=PhaseKind.HARVEST)
    harvest = plan.phases.get(kind=PhaseKind.HARVEST)
    assert harvest.booking is not None and plan.is_two_phase
    # One from the consultations demo; follow-ups' outcome cohort adds its own.
    completed = TreatmentRecord.objects.filter(status=RecordStatus.COMPLETED)
    assert completed.exclude(case__patient__email__startswith="outcome.demo").count() == 1
    counts = (
        Host.objects.count(),
        Booking.objects.count(),
        TreatmentPlan.objects.count(),
        TreatmentRecord.objects.count(),
    )
    call_command("seed_demo", stdout=StringIO())
    assert counts == (
        Host.objects.count(),
        Booking.objects.count(),
        TreatmentPlan.objects.count(),
        TreatmentRecord.objects.count(),
    )
