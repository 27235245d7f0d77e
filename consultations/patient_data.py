"""What consultations hold about a patient, for intake's export and erasure hook.

Registered from ``ConsultationsConfig.ready`` (``consultations.hooks``). The legal
hold: a completed treatment record stays for the treating clinic's legal
retention period (by the clinic's country, ``TREATMENT_RECORD_RETENTION_YEARS``
and ``..._BY_COUNTRY``): the cells given and their lot must stay traceable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Patient
from intake.patient_data import (
    Erasure,
    LegalHold,
    PatientDataSource,
    Rows,
    model_label,
    patient_data_register,
    rows_of,
    staff_user_fields_declare,
)

from .models import (
    Booking,
    BookingEvent,
    BookingLink,
    Host,
    RecordStatus,
    TreatmentPhase,
    TreatmentPlan,
    TreatmentRecord,
)

MODELS: tuple[type[models.Model], ...] = (
    Booking,
    BookingEvent,
    BookingLink,
    TreatmentPlan,
    TreatmentPhase,
    TreatmentRecord,
)


def _rows(patient: Patient) -> dict[type[models.Model], models.QuerySet[Any]]:
    case = {"case__patient": patient}
    return {
        Booking: Booking.objects.filter(**case),
        BookingEvent: BookingEvent.objects.filter(booking__case__patient=patient),
        BookingLink: BookingLink.objects.filter(booking__case__patient=patient),
        TreatmentPlan: TreatmentPlan.objects.filter(**case),
        TreatmentPhase: TreatmentPhase.objects.filter(plan__case__patient=patient),
        TreatmentRecord: TreatmentRecord.objects.filter(**case),
    }


def consultations_export(patient: Patient) -> Rows:
    return {model_label(m): rows_of(qs) for m, qs in _rows(patient).items()}


def consultations_erase(patient: Patient, erasure: Erasure) -> None:
    rows = _rows(patient)
    # Leaves first; phases point at bookings and plans, records at plans.
    for model in (
        BookingLink,
        BookingEvent,
        TreatmentPhase,
        TreatmentRecord,
        TreatmentPlan,
        Booking,
    ):
        erasure.delete(rows[model])


def retention_years(country: str) -> int:
    by_country: dict[str, Any] = settings.TREATMENT_RECORD_RETENTION_YEARS_BY_COUNTRY
    return int(by_country.get(country, settings.TREATMENT_RECORD_RETENTION_YEARS))


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def consultations_holds(patient: Patient) -> list[LegalHold]:
    """A completed treatment record inside its clinic's retention period holds the erasure."""
    today = timezone.localdate()
    holds = []
    records = TreatmentRecord.objects.filter(
        case__patient=patient, status=RecordStatus.COMPLETED
    ).select_related("clinic")
    for record in records:
        until = _years_after(record.treated_on, retention_years(str(record.clinic.country)))
        if until > today:
            holds.append(
                LegalHold(
                    code="treatment_record_retention",
                    message=_(
                        "A treatment record must be kept until %(date)s (the clinic's "
                        "legal retention period)."
                    )
                    % {"date": until.isoformat()},
                    source="consultations",
                    until=until,
                )
            )
    return holds


def register_patient_data() -> None:
    patient_data_register(
        PatientDataSource(
            key="consultations",
            label=_("Your consultations and treatments"),
            models=tuple(model_label(m) for m in MODELS),
            export=consultations_export,
            erase=consultations_erase,
            holds=consultations_holds,
            order=20,
        )
    )
    staff_user_fields_declare("a concierge or a clinic doctor", model_label(Host) + ".user")
