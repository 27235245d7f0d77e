"""What follow-ups hold about a patient, for intake's export and erasure hook.

Registered from ``FollowupsConfig.ready``. The legal hold: an adverse event that
is not closed yet (a reported harm staff have not finished grading and following
up) stops an erasure until it is closed.
"""

from __future__ import annotations

from typing import Any

from django.db import models
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
)

from .models import (
    AdverseEvent,
    CheckIn,
    CheckInAnswer,
    CheckInLink,
    EventStatus,
    FollowUpSchedule,
    StaffTask,
)

MODELS: tuple[type[models.Model], ...] = (
    FollowUpSchedule,
    CheckIn,
    CheckInAnswer,
    CheckInLink,
    AdverseEvent,
    StaffTask,
)


def _rows(patient: Patient) -> dict[type[models.Model], models.QuerySet[Any]]:
    via_checkin = {"check_in__schedule__case__patient": patient}
    return {
        FollowUpSchedule: FollowUpSchedule.objects.filter(case__patient=patient),
        CheckIn: CheckIn.objects.filter(schedule__case__patient=patient),
        CheckInAnswer: CheckInAnswer.objects.filter(**via_checkin),
        CheckInLink: CheckInLink.objects.filter(**via_checkin),
        AdverseEvent: AdverseEvent.objects.filter(schedule__case__patient=patient),
        StaffTask: StaffTask.objects.filter(**via_checkin),
    }


def followups_export(patient: Patient) -> Rows:
    return {model_label(m): rows_of(qs) for m, qs in _rows(patient).items()}


def followups_erase(patient: Patient, erasure: Erasure) -> None:
    rows = _rows(patient)
    for model in (StaffTask, AdverseEvent, CheckInLink, CheckInAnswer, CheckIn, FollowUpSchedule):
        erasure.delete(rows[model])


def followups_holds(patient: Patient) -> list[LegalHold]:
    open_events = AdverseEvent.objects.filter(schedule__case__patient=patient).exclude(
        status=EventStatus.CLOSED
    )
    return [
        LegalHold(
            code="adverse_event_open",
            message=_("An adverse event (#%(id)s) is not closed yet.") % {"id": event_id},
            source="followups",
        )
        for event_id in open_events.values_list("pk", flat=True)
    ]


def register_patient_data() -> None:
    patient_data_register(
        PatientDataSource(
            key="followups",
            label=_("Your follow-up check-ins"),
            models=tuple(model_label(m) for m in MODELS),
            export=followups_export,
            erase=followups_erase,
            holds=followups_holds,
            order=10,
        )
    )
