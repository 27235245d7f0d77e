"""Completed treatments: the event follow-ups (a higher app) start from.

``treatments_completed_without("followup_schedule")`` is every completed
treatment record that has no row yet in the higher app's model pointing at it
through that reverse accessor (a one-to-one or foreign key named there). The
higher app finds the event in the data; this app never calls up to it.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from clinics.models import Clinic
from core.models import User

from ..models import RecordStatus, TreatmentRecord


def completed_treatments(*, since: datetime | None = None) -> QuerySet[TreatmentRecord]:
    """Completed treatment records (both phases), oldest completion first."""
    rows = TreatmentRecord.objects.completed()
    if since is not None:
        rows = rows.filter(completed_at__gte=since)
    return rows.select_related("case__patient", "clinic", "offering").order_by("completed_at", "pk")


def treatments_completed_without(related_name: str) -> QuerySet[TreatmentRecord]:
    """Completed records with no related row through the reverse accessor ``related_name``."""
    return completed_treatments().filter(**{f"{related_name}__isnull": True})


REF_PREFIX = "consultations.treatmentrecord:"


def treatment_verifies_review(clinic: Clinic, author: User, treatment_ref: str) -> bool:
    """The review verifier ``clinics`` calls: ``treatment_ref`` names a completed treatment
    record at ``clinic`` of a patient whose login is ``author``."""
    if not treatment_ref.startswith(REF_PREFIX):
        return False
    pk = treatment_ref.removeprefix(REF_PREFIX)
    if not pk.isdigit():
        return False
    return TreatmentRecord.objects.filter(
        pk=int(pk),
        clinic=clinic,
        status=RecordStatus.COMPLETED,
        case__patient__user_id=author.pk,
    ).exists()
