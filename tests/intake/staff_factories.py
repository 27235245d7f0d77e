"""Factories for the staff side of intake: submitted cases, documents, proposals, shares.

Documents are written straight to private storage with realistic bytes (a
real DICOM file, a real PDF): the sanitizer is the uploads helper's concern,
the admin and portal only need a stored file to authorise and stream.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from clinics.pdf import simple_pdf
from intake.models import (
    Case,
    CaseDocument,
    CaseStatus,
    ClinicShare,
    DocumentType,
    Patient,
    Proposal,
    ProposalStatus,
    ProposedClinic,
    Sex,
)
from tests.factories import ClinicFactory, ConditionFactory

from .files import dicom_bytes

DICOM_BYTES = dicom_bytes(pixels=8, study_date="20261001")
PDF_BYTES = simple_pdf("Discharge letter", ["Knee osteoarthritis, grade 3"])


class PatientFactory(DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    full_name = factory.Sequence(lambda n: f"Patient Person {n}")
    email = factory.Sequence(lambda n: f"patient{n}@patients.example")
    phone = "+34600111222"
    date_of_birth = dt.date(1965, 4, 12)
    sex = Sex.FEMALE
    country = "ES"
    time_zone = "Europe/Madrid"
    language = "en"
    spoken_languages = factory.LazyFunction(lambda: ["en", "es"])


class CaseFactory(DjangoModelFactory[Case]):
    """A submitted case (status new) with complete, unremarkable answers."""

    class Meta:
        model = Case

    patient = factory.SubFactory(PatientFactory)
    status = CaseStatus.NEW
    submitted_at = factory.LazyFunction(timezone.now)
    condition = factory.SubFactory(ConditionFactory)
    duration = "1y_3y"
    severity = 6
    symptoms = "Knee pain on stairs"
    functional_impact = "Cannot walk more than 20 minutes"
    goals = "Walk the dog again"
    diagnosis_confirmed = True
    takes_nsaids = False
    takes_immunosuppressants = False
    takes_anticoagulants = False
    had_cell_therapy = False
    active_infection = False
    cancer = "never"
    immune_compromise = "none"
    pregnant = False
    bleeding_disorder = False
    smoking = "never"
    alcohol = "light"
    budget_min_usd = 3000
    budget_max_usd = 10000
    countries_accepted = factory.LazyFunction(lambda: ["MX", "TH"])
    any_country = False
    travel_window = "3m"
    triage_flags = factory.LazyFunction(list)
    has_hard_contraindication = False


class CaseDocumentFactory(DjangoModelFactory[CaseDocument]):
    class Meta:
        model = CaseDocument

    case = factory.SubFactory(CaseFactory)
    doc_type = DocumentType.MRI
    kind = "dicom"
    content_type = "application/dicom"
    file = factory.LazyFunction(lambda: ContentFile(DICOM_BYTES, name="intake/test/knee-mri.dcm"))
    sha256 = hashlib.sha256(DICOM_BYTES).hexdigest()
    size = len(DICOM_BYTES)
    metadata = factory.LazyFunction(
        lambda: {"modality": "MR", "body_part": "KNEE", "study_date": "2026-10-01"}
    )
    original_name = "Jane_Doe_knee.dcm"


class PdfRecordFactory(CaseDocumentFactory):
    doc_type = DocumentType.RECORD
    kind = "pdf"
    content_type = "application/pdf"
    file = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="intake/test/letter.pdf"))
    sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    size = len(PDF_BYTES)
    metadata = factory.LazyFunction(dict)
    original_name = "letter.pdf"


class ProposalFactory(DjangoModelFactory[Proposal]):
    class Meta:
        model = Proposal

    case = factory.SubFactory(CaseFactory, status=CaseStatus.READY_FOR_CLINIC)
    status = ProposalStatus.DRAFT


class ProposedClinicFactory(DjangoModelFactory[ProposedClinic]):
    class Meta:
        model = ProposedClinic

    proposal = factory.SubFactory(ProposalFactory)
    clinic = factory.SubFactory(ClinicFactory)
    position = factory.Sequence(lambda n: n + 1)
    score = 80


class ClinicShareFactory(DjangoModelFactory[ClinicShare]):
    class Meta:
        model = ClinicShare

    case = factory.SubFactory(CaseFactory, status=CaseStatus.MATCHED)
    clinic = factory.SubFactory(ClinicFactory)
    granted_at = factory.LazyFunction(timezone.now)


def ready_case(**kwargs: object) -> Case:
    """A case with an MRI (DICOM), ready for clinics."""
    case = CaseFactory.create(status=CaseStatus.READY_FOR_CLINIC, **kwargs)
    CaseDocumentFactory.create(case=case)
    return case


def shared_case(clinic: object, *, status: str = CaseStatus.MATCHED, **kwargs: object) -> Case:
    """A matched case with a DICOM and a PDF, shared with ``clinic``."""
    case = CaseFactory.create(status=status, **kwargs)
    CaseDocumentFactory.create(case=case)
    PdfRecordFactory.create(case=case)
    ClinicShareFactory.create(case=case, clinic=clinic)
    return case
