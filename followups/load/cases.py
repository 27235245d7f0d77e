"""Patients, their cases in every triage state, and document metadata (no files)."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass

from django.utils import timezone

from clinics.models import Condition
from intake.models import (
    CancerHistory,
    Case,
    CaseDocument,
    CaseStatus,
    ConditionDuration,
    DocumentType,
    ImmuneCompromise,
    Patient,
    Sex,
    SmokingStatus,
    TravelWindow,
    UploadChannel,
)
from intake.models.case import REFERENCE_ALPHABET

from .bulk import Writer
from .words import (
    FIRST_NAMES,
    GOALS,
    LAST_NAMES,
    PATIENT_COUNTRIES,
    PATIENT_LANGUAGES,
    PATIENT_ZONES,
    SYMPTOMS,
)

S = CaseStatus
CHUNK = 5_000
# Share of cases per state. Treated cases are matched (follow-ups running) or closed.
STATUS_WEIGHTS: dict[str, int] = {
    S.DRAFT: 8,
    S.NEW: 10,
    S.IN_REVIEW: 8,
    S.CLINICIAN_REVIEW: 4,
    S.READY_FOR_CLINIC: 10,
    S.MATCHED: 40,
    S.CLOSED: 12,
    S.WITHDRAWN: 8,
}
FLAG_CHOICES = (
    "nsaids",
    "smoking",
    "long_standing",
    "previous_treatment",
    "records_later",
    "diagnosis_unconfirmed",
    "anticoagulants",
    "immune_mild",
    "cancer_past",
)
DOCUMENT_KINDS = (
    (DocumentType.MRI, "dicom", "application/dicom", ".dcm"),
    (DocumentType.XRAY, "dicom", "application/dicom", ".dcm"),
    (DocumentType.CT, "dicom", "application/dicom", ".dcm"),
    (DocumentType.RECORD, "pdf", "application/pdf", ".pdf"),
    (DocumentType.LAB, "pdf", "application/pdf", ".pdf"),
    (DocumentType.OTHER, "jpeg", "image/jpeg", ".jpg"),
)


@dataclass(frozen=True)
class LoadedCase:
    pk: int
    status: str
    zone: str
    submitted_at: dt.datetime | None


def _ascii(name: str) -> str:
    """An e-mail local part from a name: María -> maria."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _reference(rng: random.Random, taken: set[str]) -> str:
    while True:
        chars = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(8))
        reference = f"SC-{chars[:4]}-{chars[4:]}"
        if reference not in taken:
            taken.add(reference)
            return reference


def load_cases(writer: Writer, rng: random.Random, *, count: int) -> list[LoadedCase]:
    """``count`` patients with one case each, submitted over the last two years."""
    now = timezone.now()
    condition_ids = list(Condition.objects.values_list("pk", flat=True))
    taken = set(Case.objects.values_list("reference", flat=True))
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    patients: list[Patient] = []
    cases: list[Case] = []
    loaded: list[LoadedCase] = []
    for index in range(count):
        country = rng.choice(PATIENT_COUNTRIES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = now - dt.timedelta(minutes=rng.randint(60, 730 * 24 * 60))
        patient = writer.assign(
            Patient(
                full_name=f"{first} {last}",
                email=f"{_ascii(first)}.{index}@patients.example",
                date_of_birth=dt.date(
                    rng.randint(1940, 1995), rng.randint(1, 12), rng.randint(1, 28)
                ),
                sex=rng.choice([Sex.FEMALE, Sex.MALE, Sex.MALE, Sex.FEMALE, Sex.UNDISCLOSED]),
                country=country,
                time_zone=PATIENT_ZONES[country],
                language=PATIENT_LANGUAGES.get(country, "en"),
                spoken_languages=["en"],
                created_at=created,
            )
        )
        patients.append(patient)
        status = rng.choices(statuses, weights)[0]
        submitted = (
            None
            if status == S.DRAFT or (status == S.WITHDRAWN and rng.random() < 0.3)
            else created + dt.timedelta(minutes=rng.randint(5, 600))
        )
        flags = rng.sample(FLAG_CHOICES, rng.randint(0, 3))
        hard = rng.random() < 0.03
        if hard:
            flags.insert(0, "active_infection")
        budget = rng.choice([3000, 5000, 8000, 12000, 20000, 40000])
        case = writer.assign(
            Case(
                reference=_reference(rng, taken),
                patient_id=patient.pk,
                status=status,
                status_changed_at=submitted or created,
                submitted_at=submitted,
                draft_step="records" if status == S.DRAFT else "",
                condition_id=rng.choice(condition_ids) if condition_ids else None,
                duration=rng.choice(ConditionDuration.values),
                severity=rng.randint(2, 9),
                symptoms=rng.choice(SYMPTOMS),
                goals=rng.choice(GOALS),
                functional_impact="Cannot walk far or carry shopping.",
                diagnosis_confirmed=True,
                takes_nsaids="nsaids" in flags,
                takes_immunosuppressants=False,
                takes_anticoagulants="anticoagulants" in flags,
                had_cell_therapy="previous_treatment" in flags,
                active_infection=hard,
                cancer=CancerHistory.PAST if "cancer_past" in flags else CancerHistory.NEVER,
                immune_compromise=ImmuneCompromise.MILD
                if "immune_mild" in flags
                else ImmuneCompromise.NONE,
                pregnant=False,
                bleeding_disorder=False,
                smoking=SmokingStatus.CURRENT if "smoking" in flags else SmokingStatus.NEVER,
                alcohol="light",
                records_later="records_later" in flags,
                budget_min_usd=budget // 2,
                budget_max_usd=budget,
                countries_accepted=["MX", "CO", "TH"],
                travel_window=rng.choice(TravelWindow.values),
                triage_flags=flags,
                has_hard_contraindication=hard,
                created_at=created,
            )
        )
        cases.append(case)
        loaded.append(LoadedCase(int(case.pk), status, PATIENT_ZONES[country], submitted))
        if len(cases) >= CHUNK or index == count - 1:
            # In chunks: a hundred thousand wide rows at once would not fit in memory.
            writer.insert(Patient, patients)
            writer.insert(Case, cases)
            writer.insert(CaseDocument, _documents(writer, rng, loaded[-len(cases) :]))
            patients.clear()
            cases.clear()
    return loaded


def _documents(writer: Writer, rng: random.Random, loaded: list[LoadedCase]) -> list[CaseDocument]:
    rows: list[CaseDocument] = []
    for case in loaded:
        for number in range(rng.choice([0, 1, 2, 2, 3])):
            doc_type, kind, content_type, ext = rng.choice(DOCUMENT_KINDS)
            rows.append(
                writer.assign(
                    CaseDocument(
                        case_id=case.pk,
                        doc_type=doc_type,
                        kind=kind,
                        content_type=content_type,
                        file=f"intake/load/{case.pk}-{number}{ext}",
                        sha256=f"{rng.getrandbits(256):064x}",
                        size=rng.randint(80_000, 30_000_000),
                        metadata={"modality": "MR"} if kind == "dicom" else {},
                        original_name=f"scan-{number + 1}{ext}",
                        channel=UploadChannel.WIZARD,
                        uploaded_at=case.submitted_at or timezone.now(),
                    )
                )
            )
    return rows
