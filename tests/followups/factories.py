"""Treated patients for the follow-up tests: a completed treatment record and its case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clinics.models import Clinic, Route
from consultations.models import PhaseKind, RecordStatus, TreatmentRecord
from followups.models import CheckIn, FollowUpSchedule
from followups.services import schedule_create
from intake.models import CaseStatus
from tests.clinics.factories import OfferingFactory
from tests.intake.factories import CaseFactory, PatientFactory


def treated(
    clinic: Clinic,
    *,
    treated_on: dt.date | None = None,
    kind: str = PhaseKind.TREATMENT,
    severity: int = 7,
    patient: Any = None,
    offering: Any = None,
    **case_kwargs: Any,
) -> TreatmentRecord:
    """A completed treatment at ``clinic`` for a matched case (no schedule yet)."""
    case = CaseFactory.create(
        status=CaseStatus.MATCHED,
        severity=severity,
        patient=patient or PatientFactory.create(),
        **case_kwargs,
    )
    offering = offering or OfferingFactory.create(clinic=clinic)
    return TreatmentRecord.objects.create(
        case=case,
        clinic=clinic,
        offering=offering,
        kind=kind,
        status=RecordStatus.COMPLETED,
        completed_at=timezone.now(),
        treated_on=treated_on or timezone.localdate() - dt.timedelta(days=2),
        cell_count_millions=Decimal("50") if kind == PhaseKind.TREATMENT else None,
        route=Route.JOINT,
        site="right knee",
        cell_lot="LOT-2026-0042",
    )


def scheduled(clinic: Clinic, **kwargs: Any) -> FollowUpSchedule:
    schedule = schedule_create(treatment=treated(clinic, **kwargs), acting_user=None)
    assert schedule is not None
    return schedule


def first_checkin(schedule: FollowUpSchedule) -> CheckIn:
    return schedule.check_ins.order_by("due_at").first()  # type: ignore[return-value]
