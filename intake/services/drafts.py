"""The draft: saved from the first step so it can be resumed anywhere."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic
from core.audit import audit_event_record, client_ip
from core.exceptions import DomainError
from core.models import User

from ..models import Case, CaseStatus, Patient, PrivacyConsent, new_case_reference
from ..steps import CASE_FIELDS, PATIENT_FIELDS, STEP_NAMES, step_index


def _unique_reference() -> str:
    # 25^8 references: a clash is ~never, but a unique index failing mid-intake
    # would lose a patient's first step, so check.
    for _attempt in range(5):
        ref = new_case_reference()
        if not Case.objects.filter(reference=ref).exists():
            return ref
    raise RuntimeError("could not find a free case reference")


def _advance(case: Case, reached: str) -> None:
    """Remember the furthest step reached, for resuming."""
    current = case.draft_step if case.draft_step in STEP_NAMES else STEP_NAMES[0]
    if step_index(reached) > step_index(current):
        case.draft_step = reached


@transaction.atomic
def intake_draft_start(
    *,
    patient_data: dict[str, Any],
    preferred_clinic: Clinic | None,
    acting_user: User | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Create the patient and their draft case from the first wizard step."""
    patient = Patient(**{f: patient_data[f] for f in PATIENT_FIELDS if f in patient_data})
    patient.full_clean()
    patient.save()
    if preferred_clinic is not None and not preferred_clinic.is_public:
        preferred_clinic = None
    case = Case(
        patient=patient,
        reference=_unique_reference(),
        status=CaseStatus.DRAFT,
        preferred_clinic=preferred_clinic,
        draft_step=STEP_NAMES[1],
    )
    case.full_clean()
    case.save()
    audit_event_record(
        action="intake.draft_started",
        acting_user=acting_user,
        target=case,
        request=request,
        actor_label="patient",
        data={
            "reference": case.reference,
            "preferred_clinic": preferred_clinic.pk if preferred_clinic else None,
        },
    )
    return case


def _lock_draft(case: Case) -> Case:
    locked = Case.objects.select_for_update().select_related("patient").get(pk=case.pk)
    if not locked.is_draft:
        raise DomainError(_("This assessment has already been sent."), code="not_draft")
    return locked


@transaction.atomic
def intake_draft_save(
    *,
    case: Case,
    step: str,
    data: dict[str, Any],
    acting_user: User | None = None,
    reached: str | None = None,
) -> Case:
    """Store one step's answers on the draft; only that step's fields are written."""
    if step not in STEP_NAMES:
        raise DomainError(_("Unknown step."), code="bad_step")
    locked = _lock_draft(case)
    changed: list[str] = []
    if step == "about":
        patient = locked.patient
        for field in PATIENT_FIELDS:
            if field in data and getattr(patient, field) != data[field]:
                setattr(patient, field, data[field])
                changed.append(field)
        patient.full_clean()
        patient.save()
    for field in CASE_FIELDS.get(step, []):
        if field in data and getattr(locked, field) != data[field]:
            setattr(locked, field, data[field])
            changed.append(field)
    if reached:
        _advance(locked, reached)
    locked.full_clean()
    locked.save()
    if changed:
        audit_event_record(
            action="intake.draft_saved",
            acting_user=acting_user,
            target=locked,
            actor_label="patient",
            data={"step": step, "fields": sorted(changed)},
        )
    return locked


@transaction.atomic
def intake_consent_record(
    *,
    case: Case,
    share_with_chosen_clinics: bool,
    acting_user: User | None = None,
    request: HttpRequest | None = None,
) -> PrivacyConsent:
    """Record acceptance of the current privacy notice (version, time, IP)."""
    locked = _lock_draft(case)
    version = settings.INTAKE_PRIVACY_NOTICE_VERSION
    consent, _created = PrivacyConsent.objects.update_or_create(
        case=locked,
        notice_version=version,
        defaults={
            "share_with_chosen_clinics": share_with_chosen_clinics,
            "accepted_at": timezone.now(),
            "ip_address": client_ip(request),
        },
    )
    _advance(locked, "review")
    locked.save(update_fields=["draft_step", "updated_at"])
    audit_event_record(
        action="intake.consent_recorded",
        acting_user=acting_user,
        target=locked,
        request=request,
        actor_label="patient",
        data={"notice_version": version, "share_with_chosen_clinics": share_with_chosen_clinics},
    )
    return consent


def intake_missing_steps(case: Case) -> list[str]:
    """Steps whose required answers are still missing (empty list = ready to send)."""
    missing: list[str] = []
    p = case.patient
    if not (p.full_name and p.email and p.date_of_birth and p.sex and p.country):
        missing.append("about")
    if (
        (case.condition_id is None and not case.condition_other)
        or not case.duration
        or case.severity is None
        or case.diagnosis_confirmed is None
        or not case.symptoms
        or not case.goals
    ):
        missing.append("condition")
    if any(
        getattr(case, f) is None
        for f in (
            "takes_nsaids",
            "takes_immunosuppressants",
            "takes_anticoagulants",
            "had_cell_therapy",
        )
    ):
        missing.append("history")
    if any(
        getattr(case, f) is None for f in ("active_infection", "pregnant", "bleeding_disorder")
    ) or not (case.cancer and case.immune_compromise and case.smoking and case.alcohol):
        missing.append("screening")
    if not case.records_later and not case.documents.exists():
        missing.append("records")
    if (
        not case.travel_window
        or case.travel_companion is None
        or case.needs_travel_help is None
        or not (case.any_country or case.countries_accepted)
    ):
        missing.append("plans")
    if not case.consents.filter(notice_version=settings.INTAKE_PRIVACY_NOTICE_VERSION).exists():
        missing.append("consent")
    return missing
