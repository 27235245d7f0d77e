"""What clinic staff may read of a case: only cases the patient shared with their clinic.

A case is visible to a clinic user when ALL of these hold:
- the user is an active member of a clinic that is vetted now (a suspended
  clinic loses access to patient data at once);
- the patient's share with that clinic is active (not revoked);
- the case is ready for clinics or matched (not a draft, not withdrawn or
  closed, not sent back to review).
Everything else - another clinic's case, a revoked share, a guessed reference
or document id - is a 404 with none of the case's data in the body.

Clinic staff never see the patient's name, email, phone, date of birth (age
only), budget, the concierge's notes or which other clinics were proposed:
``portal_case_facts`` is the whitelist of what a clinic needs to judge
candidacy. Contact details belong to the consultation, which the higher
``consultations`` app shows once one is booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from clinics.models import Clinic, ClinicStatus
from core.models import User

from .models import Case, CaseDocument, CaseStatus, ClinicShare, StudyArchive, StudyArchiveStatus
from .models.case import REFERENCE_RE

PORTAL_VISIBLE_STATUSES: frozenset[str] = frozenset(
    {CaseStatus.READY_FOR_CLINIC, CaseStatus.MATCHED}
)


def _user_ok(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def portal_clinics_with_access(*, acting_user: User) -> QuerySet[Clinic]:
    """The acting user's clinics that may see patient data (vetted only)."""
    if not _user_ok(acting_user):
        return Clinic.objects.none()
    return Clinic.objects.filter(memberships__user=acting_user, status=ClinicStatus.VETTED)


def portal_shares(*, acting_user: User) -> QuerySet[ClinicShare]:
    """Active shares with the acting user's vetted clinics, of visible cases, newest first."""
    if not _user_ok(acting_user):
        return ClinicShare.objects.none()
    return (
        ClinicShare.objects.active()
        .filter(
            clinic__in=portal_clinics_with_access(acting_user=acting_user),
            case__status__in=PORTAL_VISIBLE_STATUSES,
        )
        .select_related("case", "case__condition", "case__patient", "clinic")
        .annotate(document_count=Count("case__documents", distinct=True))
        .order_by("-granted_at", "-pk")
    )


def _visible_cases(acting_user: User) -> QuerySet[Case]:
    if not _user_ok(acting_user):
        return Case.objects.none()
    shared = ClinicShare.objects.active().filter(
        case_id=OuterRef("pk"),
        clinic__in=portal_clinics_with_access(acting_user=acting_user),
    )
    return Case.objects.filter(Exists(shared), status__in=PORTAL_VISIBLE_STATUSES)


def portal_case_or_404(*, acting_user: User, reference: str) -> tuple[Case, list[Clinic]]:
    """The shared case by reference and the acting user's clinics it is shared with."""
    import re

    if not re.fullmatch(REFERENCE_RE, reference or ""):
        raise Http404
    case = (
        _visible_cases(acting_user)
        .select_related("condition", "patient")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise Http404
    clinics = list(
        portal_clinics_with_access(acting_user=acting_user)
        .filter(case_shares__case=case, case_shares__revoked_at__isnull=True)
        .distinct()
        .order_by("name")
    )
    if not clinics:  # the share was revoked between the two reads
        raise Http404
    return case, clinics


def portal_documents(*, case: Case) -> QuerySet[CaseDocument]:
    """Documents of a case already authorised by ``portal_case_or_404``."""
    return CaseDocument.objects.filter(case=case).order_by("uploaded_at", "id")


def portal_document_or_404(
    *, acting_user: User, reference: str, document_id: int
) -> tuple[CaseDocument, list[Clinic]]:
    case, clinics = portal_case_or_404(acting_user=acting_user, reference=reference)
    document = portal_documents(case=case).filter(pk=document_id).first()
    if document is None:
        raise Http404
    document.case = case
    return document, clinics


def portal_study_archive_latest(*, case: Case, clinics: list[Clinic]) -> StudyArchive | None:
    """The newest imaging zip asked for this case by one of the user's authorised clinics."""
    return (
        StudyArchive.objects.filter(case=case, clinic__in=clinics)
        .order_by("-created_at", "-pk")
        .first()
    )


def portal_study_archive_or_404(
    *, acting_user: User, reference: str, archive_id: int
) -> tuple[StudyArchive, list[Clinic]]:
    """A ready, unexpired zip of a shared case, made for one of the user's clinics."""
    case, clinics = portal_case_or_404(acting_user=acting_user, reference=reference)
    archive = (
        StudyArchive.objects.filter(
            pk=archive_id, case=case, clinic__in=clinics, status=StudyArchiveStatus.READY
        )
        .select_related("clinic")
        .first()
    )
    if archive is None or archive.is_expired():
        raise Http404
    archive.case = case
    return archive, clinics


# --- The whitelist a clinic sees -------------------------------------------------------
@dataclass(frozen=True)
class Fact:
    label: str | Promise
    value: Any


@dataclass(frozen=True)
class FactSection:
    title: str | Promise
    facts: list[Fact]


def _yes_no(value: bool | None) -> Any:
    if value is None:
        return _("Not answered")
    return _("Yes") if value else _("No")


def _with_details(flag: bool | None, details: str) -> Any:
    answer = _yes_no(flag)
    return f"{answer}: {details}" if flag and details else answer


def portal_case_facts(case: Case) -> list[FactSection]:
    """Exactly what a clinic may read of a case; nothing that identifies or reaches the patient."""
    patient = case.patient
    cancer = case.get_cancer_display() or _("Not answered")
    if case.cancer and case.cancer != "never":
        extra = ", ".join(str(x) for x in (case.cancer_which, case.cancer_year) if x)
        cancer = f"{cancer} ({extra})" if extra else cancer
    immune = case.get_immune_compromise_display() or _("Not answered")
    if case.immune_compromise_details:
        immune = f"{immune}: {case.immune_compromise_details}"
    infection = _with_details(case.active_infection, case.active_infection_details)
    return [
        FactSection(
            _("Patient"),
            [
                Fact(_("Age"), patient.age),
                Fact(_("Sex"), patient.get_sex_display()),
                Fact(_("Country of residence"), countries.name(str(patient.country))),
                Fact(_("When they hope to travel"), case.get_travel_window_display() or "-"),
            ],
        ),
        FactSection(
            _("Condition"),
            [
                Fact(_("Condition"), case.condition_label or "-"),
                Fact(
                    _("Category"), case.condition.get_category_display() if case.condition else "-"
                ),
                Fact(_("How long"), case.get_duration_display() or "-"),
                Fact(_("Severity (0-10)"), "-" if case.severity is None else case.severity),
                Fact(_("Diagnosis confirmed by a doctor"), _yes_no(case.diagnosis_confirmed)),
                Fact(_("Symptoms"), case.symptoms or "-"),
                Fact(_("Effect on daily life"), case.functional_impact or "-"),
                Fact(_("Goals"), case.goals or "-"),
            ],
        ),
        FactSection(
            _("Medical history"),
            [
                Fact(_("Other conditions"), case.other_conditions or "-"),
                Fact(_("Current medications"), case.current_medications or "-"),
                Fact(_("NSAIDs"), _with_details(case.takes_nsaids, case.nsaids_details)),
                Fact(
                    _("Immunosuppressants"),
                    _with_details(case.takes_immunosuppressants, case.immunosuppressants_details),
                ),
                Fact(
                    _("Anticoagulants"),
                    _with_details(case.takes_anticoagulants, case.anticoagulants_details),
                ),
                Fact(_("Allergies"), case.allergies or "-"),
                Fact(_("Surgeries"), case.surgeries or "-"),
                Fact(_("Previous stem-cell or PRP treatment"), _yes_no(case.had_cell_therapy)),
                Fact(_("Previous treatment: when"), case.cell_therapy_when or "-"),
                Fact(_("Previous treatment: result"), case.cell_therapy_result or "-"),
                Fact(_("Previous treatment: bad reaction"), _yes_no(case.cell_therapy_adverse)),
            ],
        ),
        FactSection(
            _("Screening"),
            [
                Fact(_("Active infection"), infection),
                Fact(_("Cancer"), cancer),
                Fact(_("Weakened immune system"), immune),
                Fact(_("Pregnant, possibly pregnant or breastfeeding"), _yes_no(case.pregnant)),
                Fact(
                    _("Bleeding disorder"),
                    _with_details(case.bleeding_disorder, case.bleeding_disorder_details),
                ),
                Fact(_("Smoking"), case.get_smoking_display() or _("Not answered")),
                Fact(_("Alcohol"), case.get_alcohol_display() or _("Not answered")),
            ],
        ),
    ]
