"""Triage: turn the patient's answers into flags staff can filter on."""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from core.audit import audit_event_record
from core.models import User

from ..models import (
    IMAGING_TYPES,
    RECORD_TYPES,
    AlcoholUse,
    CancerHistory,
    Case,
    ConditionDuration,
    ImmuneCompromise,
    SmokingStatus,
)
from ..triage import HARD_FLAGS, Flag

log = logging.getLogger(__name__)

# "Recent" cancer for the hard contraindication: diagnosed or treated this many years ago or less.
RECENT_CANCER_YEARS = 5


def _answer_flags(case: Case) -> list[str]:
    flags: list[str] = []
    if case.active_infection:
        flags.append(Flag.ACTIVE_INFECTION)
    if case.cancer == CancerHistory.CURRENT:
        flags.append(Flag.CANCER_ACTIVE)
    elif case.cancer == CancerHistory.PAST:
        recent = (
            case.cancer_year is None  # unknown year: assume recent until a doctor checks
            or case.cancer_year >= timezone.now().year - RECENT_CANCER_YEARS
        )
        flags.append(Flag.CANCER_RECENT if recent else Flag.CANCER_PAST)
    immune = {
        ImmuneCompromise.SEVERE: Flag.IMMUNE_SEVERE,
        ImmuneCompromise.MILD: Flag.IMMUNE_MILD,
        ImmuneCompromise.UNSURE: Flag.IMMUNE_UNSURE,
    }.get(case.immune_compromise)  # type: ignore[call-overload]
    if immune:
        flags.append(immune)
    if case.pregnant:
        flags.append(Flag.PREGNANCY)
    if case.bleeding_disorder:
        flags.append(Flag.BLEEDING_DISORDER)
    if case.takes_anticoagulants:
        flags.append(Flag.ANTICOAGULANTS)
    if case.takes_immunosuppressants:
        flags.append(Flag.IMMUNOSUPPRESSANTS)
    if case.takes_nsaids:
        flags.append(Flag.NSAIDS)
    if case.smoking == SmokingStatus.CURRENT:
        flags.append(Flag.SMOKING)
    if case.alcohol == AlcoholUse.HEAVY:
        flags.append(Flag.ALCOHOL_HEAVY)
    if case.duration == ConditionDuration.OVER_10_YEARS:
        flags.append(Flag.LONG_STANDING)
    if case.had_cell_therapy:
        flags.append(Flag.PREVIOUS_TREATMENT)
        if case.cell_therapy_adverse:
            flags.append(Flag.PREVIOUS_ADVERSE)
    if case.diagnosis_confirmed is False:
        flags.append(Flag.DIAGNOSIS_UNCONFIRMED)
    if case.condition_id is None and case.condition_other:
        flags.append(Flag.CONDITION_OTHER)
    if case.elsewhere_clinic_name:
        flags.append(Flag.CLINIC_CHECK)
    return flags


def _document_flags(case: Case) -> list[str]:
    types = set(case.documents.values_list("doc_type", flat=True)) if case.pk else set()
    flags: list[str] = []
    if not types & IMAGING_TYPES:
        flags.append(Flag.NO_IMAGING)
    if not types & RECORD_TYPES:
        flags.append(Flag.NO_RECORDS)
    if case.records_later and (Flag.NO_IMAGING in flags or Flag.NO_RECORDS in flags):
        flags.append(Flag.RECORDS_LATER)
    return flags


def preferred_clinic_is_ml_only(case: Case) -> bool:
    """Does the clinic the patient came from treat their condition only with mL-dosed products?

    A dose given only in mL means a minimally manipulated product (domain.md);
    a patient choosing such a clinic should hear that plainly from staff.
    Reads clinics' Offering defensively: intake must not break while the
    clinics schema evolves.
    """
    if case.preferred_clinic_id is None or case.condition_id is None:
        return False
    try:
        offering_model = apps.get_model("clinics", "Offering")
    except LookupError:
        return False
    try:
        offerings = offering_model._default_manager.filter(
            clinic_id=case.preferred_clinic_id,
            conditions__id=case.condition_id,
            status="live",
        ).values_list("cell_count_millions", "volume_ml")
        doses = list(offerings)
    except Exception:  # a schema mid-change must not block a patient's submission
        log.exception("could not read offerings for the mL-only flag")
        return False
    return bool(doses) and all(cells is None and ml is not None for cells, ml in doses)


def case_triage_compute(case: Case) -> list[str]:
    """The flag codes for ``case`` as it stands (pure read; no write)."""
    flags = _answer_flags(case) + _document_flags(case)
    if preferred_clinic_is_ml_only(case):
        flags.append(Flag.ML_ONLY_INTEREST)
    return [str(f) for f in dict.fromkeys(flags)]


@transaction.atomic
def case_triage_refresh(*, case: Case, acting_user: User | None) -> Case:
    """Recompute and store ``triage_flags`` and ``has_hard_contraindication``.

    It never changes the status: only submission and staff move a case.
    """
    locked = Case.objects.select_for_update().get(pk=case.pk)
    flags = case_triage_compute(locked)
    hard = any(f in HARD_FLAGS for f in flags)
    if flags != locked.triage_flags or hard != locked.has_hard_contraindication:
        before = list(locked.triage_flags)
        locked.triage_flags = flags
        locked.has_hard_contraindication = hard
        locked.full_clean()
        locked.save(update_fields=["triage_flags", "has_hard_contraindication", "updated_at"])
        audit_event_record(
            action="case.triage_refreshed",
            acting_user=acting_user,
            target=locked,
            data={
                "added": sorted(set(flags) - set(before)),
                "removed": sorted(set(before) - set(flags)),
                "hard": hard,
            },
        )
    return locked
