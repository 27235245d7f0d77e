"""Intake's own sources for the patient-data hook: the intake rows, and the patient's login.

Registered from ``IntakeConfig.ready()`` next to the sources the higher apps
register. The login source also covers the rows of lower and third-party apps
that hang off a patient's ``core.User`` (their reviews of clinics, allauth's
addresses and second factors): those apps cannot import intake, intake may
import them.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.base import SessionBase
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from clinics.models import Review
from core.models import User
from core.uploads.downloads import safe_download_name

from .models import (
    AccessToken,
    Case,
    CaseDocument,
    CaseMessage,
    ClinicShare,
    DataExport,
    ErasureRequest,
    Patient,
    PrivacyConsent,
    Proposal,
    ProposedClinic,
    StudyArchive,
)
from .patient_data import (
    Erasure,
    ExportFile,
    PatientDataSource,
    Rows,
    model_label,
    patient_data_register,
    rows_of,
    serialize,
    staff_user_fields_declare,
)
from .selectors import SESSION_CASES, SESSION_DONE, SESSION_DRAFT, SESSION_STASH

INTAKE_MODELS: tuple[type[models.Model], ...] = (
    Patient,
    Case,
    CaseDocument,
    CaseMessage,
    AccessToken,
    PrivacyConsent,
    ClinicShare,
    Proposal,
    ProposedClinic,
    StudyArchive,
    DataExport,
    ErasureRequest,
)
# Third-party rows that hang off a login; present only where the app is installed.
ACCOUNT_MODELS = ("account.EmailAddress", "account.EmailConfirmation", "mfa.Authenticator")
# Not for the patient's eyes or anyone's: allauth's confirmation keys, TOTP secrets.
ACCOUNT_SECRETS = {"account.EmailConfirmation": ("key",), "mfa.Authenticator": ("data",)}
USER_FIELDS = (
    "id",
    "email",
    "full_name",
    "language",
    "time_zone",
    "is_active",
    "date_joined",
    "last_login",
)


# --- intake ----------------------------------------------------------------------------
def _intake_rows(patient: Patient) -> dict[type[models.Model], models.QuerySet[Any]]:
    cases = Case.objects.filter(patient=patient)
    return {
        Patient: Patient.objects.filter(pk=patient.pk),
        Case: cases,
        CaseDocument: CaseDocument.objects.filter(case__in=cases),
        CaseMessage: CaseMessage.objects.filter(case__in=cases),
        AccessToken: AccessToken.objects.filter(case__in=cases),
        PrivacyConsent: PrivacyConsent.objects.filter(case__in=cases),
        ClinicShare: ClinicShare.objects.filter(case__in=cases),
        Proposal: Proposal.objects.filter(case__in=cases),
        ProposedClinic: ProposedClinic.objects.filter(proposal__case__in=cases),
        StudyArchive: StudyArchive.objects.filter(case__in=cases),
        DataExport: DataExport.objects.filter(patient=patient),
        ErasureRequest: ErasureRequest.objects.filter(patient=patient),
    }


def intake_export(patient: Patient) -> Rows:
    return {model_label(m): rows_of(qs) for m, qs in _intake_rows(patient).items()}


def intake_files(patient: Patient) -> list[ExportFile]:
    """The documents of every case, as stored (patients' uploads and staff's alike)."""
    documents = CaseDocument.objects.filter(case__patient=patient).select_related("case")
    return [
        ExportFile(
            path=f"files/{d.case.reference}/{d.pk}-"
            f"{safe_download_name(d.original_name or d.download_name, fallback='document')}",
            file=d.file,
            size=d.size,
            sha256=d.sha256,
        )
        for d in documents.order_by("case_id", "uploaded_at", "pk")
    ]


def _session_matches(
    data: dict[str, Any], references: set[str], case_ids: set[int], user_id: str | None
) -> bool:
    links = data.get(SESSION_CASES)
    if isinstance(links, dict) and references & set(links):
        return True
    if data.get(SESSION_DONE) in references or data.get(SESSION_DRAFT) in case_ids:
        return True
    stash = data.get(SESSION_STASH)
    if isinstance(stash, dict) and any(
        str(k).split(":")[0] in {str(c) for c in case_ids} for k in stash
    ):
        return True
    return user_id is not None and data.get("_auth_user_id") == user_id


def sessions_purge(*, references: set[str], case_ids: set[int], user_id: int | None) -> int:
    """Delete the stored sessions that hold this patient's links, draft, stash or login.

    Only a database-backed session engine can be searched; with another engine
    the sessions die anyway, because the links and login they point at are gone.
    """
    store: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    get_model = getattr(store, "get_model_class", None)
    if get_model is None:
        return 0
    session_model = get_model()
    doomed: list[str] = []
    uid = str(user_id) if user_id is not None else None
    for key, encoded in session_model.objects.values_list("session_key", "session_data").iterator():
        data = store().decode(encoded)
        if _session_matches(data, references, case_ids, uid):
            doomed.append(key)
    session_model.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def intake_erase(patient: Patient, erasure: Erasure) -> None:
    """Delete every intake row of the patient, leaves first; files after commit."""
    cases = list(Case.objects.filter(patient=patient).values_list("pk", "reference"))
    case_ids = {pk for pk, _ref in cases}
    references = {ref for _pk, ref in cases}
    sessions_purge(references=references, case_ids=case_ids, user_id=patient.user_id)
    rows = _intake_rows(patient)
    # Every stored file: the patient's exports, clinics' imaging zips, the documents.
    for stored in (DataExport, StudyArchive, CaseDocument):
        for row in rows[stored].only("pk", "file", "size"):
            erasure.file(row.file, row.size)
    # ErasureRequest rows stay: the one being carried out becomes the tombstone.
    for model in (
        DataExport,
        StudyArchive,
        CaseDocument,
        ProposedClinic,
        Proposal,
        ClinicShare,
        CaseMessage,
        PrivacyConsent,
        AccessToken,
        Case,
        Patient,
    ):
        erasure.delete(rows[model])


# --- the patient's login, and what hangs off it --------------------------------------------
def _account_models() -> list[type[models.Model]]:
    found = []
    for label in ACCOUNT_MODELS:
        try:
            found.append(apps.get_model(label))
        except LookupError:
            continue
    return found


def _account_rows(user_id: int) -> dict[type[models.Model], models.QuerySet[Any]]:
    rows: dict[type[models.Model], models.QuerySet[Any]] = {
        Review: Review.objects.filter(author_id=user_id)
    }
    for model in _account_models():
        user_path = (
            "email_address__user_id" if model._meta.model_name == "emailconfirmation" else "user_id"
        )
        rows[model] = model._default_manager.filter(**{user_path: user_id})
    return rows


def account_export(patient: Patient) -> Rows:
    labels = [model_label(User), model_label(Review), *[model_label(m) for m in _account_models()]]
    out: Rows = {label: [] for label in labels}
    if patient.user_id is None:
        return out
    user = User.objects.get(pk=patient.user_id)
    out[model_label(User)] = [{k: v for k, v in serialize(user).items() if k in USER_FIELDS}]
    for model, queryset in _account_rows(user.pk).items():
        out[model_label(model)] = rows_of(
            queryset, exclude=ACCOUNT_SECRETS.get(model_label(model), ())
        )
    return out


def account_erase(patient: Patient, erasure: Erasure) -> None:
    """Reviews, addresses and second factors go; the login itself is emptied in place.

    The user row stays, anonymised, because append-only audit rows name it as
    their actor (by id): deleting it would have to rewrite them.
    """
    if patient.user_id is None:
        return
    rows = _account_rows(patient.user_id)
    for model in reversed(list(rows)):  # confirmations before addresses
        erasure.delete(rows[model])
    User.objects.filter(pk=patient.user_id).update(
        email=f"erased-{patient.user_id}@erased.invalid",
        full_name="",
        first_name="",
        last_name="",
        is_active=False,
        is_staff=False,
        password=make_password(None),
        last_login=None,
    )
    User.groups.through.objects.filter(user_id=patient.user_id).delete()
    erasure.note(User, [patient.user_id])


def register_sources() -> None:
    patient_data_register(
        PatientDataSource(
            key="intake",
            label=_("Your assessment and your case"),
            models=tuple(model_label(m) for m in INTAKE_MODELS),
            export=intake_export,
            erase=intake_erase,
            files=intake_files,
            order=80,
        )
    )
    patient_data_register(
        PatientDataSource(
            key="account",
            label=_("Your login, if you have one"),
            models=(model_label(User), model_label(Review), *ACCOUNT_MODELS),
            export=account_export,
            erase=account_erase,
            order=90,
        )
    )
    # Foreign keys to users in the lower apps that only ever name staff (or a clinic's
    # staff): they do not lead to a patient. Patients act through links, without a login.
    staff_user_fields_declare(
        "concierge or clinic staff",
        "admin.LogEntry.user",
        "clinics.ClinicMembership.user",
        "clinics.Doctor.verified_by",
        "clinics.ChangeRequest.submitted_by",
        "clinics.ChangeRequest.decided_by",
        "clinics.Credential.uploaded_by",
        "clinics.Credential.verified_by",
        "clinics.VettingReview.reviewer",
        "clinics.VettingReview.decided_by",
        "clinics.LegalityRule.updated_by",
        "clinics.Review.treatment_verified_by",
        "clinics.Review.moderated_by",
        "clinics.Review.replied_by",
    )
