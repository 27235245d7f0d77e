"""Factories for intake: patients, complete submitted cases, documents, links."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any, cast

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from clinics.models import Clinic, Condition
from intake.models import (
    AccessToken,
    AlcoholUse,
    CancerHistory,
    Case,
    CaseDocument,
    CaseStatus,
    ConditionDuration,
    DocumentType,
    ImmuneCompromise,
    Patient,
    PrivacyConsent,
    Proposal,
    ProposalStatus,
    ProposedClinic,
    SmokingStatus,
    TravelWindow,
)
from intake.models.access import hash_token
from tests.factories import ClinicFactory, ConditionFactory

from .files import pdf_bytes


class PatientFactory(DjangoModelFactory):
    class Meta:
        model = Patient

    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"patient{n}@patients.example")
    date_of_birth = datetime.date(1968, 4, 23)
    sex = "female"
    country = "US"
    time_zone = "America/Chicago"
    language = "en"
    spoken_languages = factory.LazyFunction(lambda: ["en"])


class CaseFactory(DjangoModelFactory):
    """A complete, submitted case with no contraindications (status new)."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    patient = factory.SubFactory(PatientFactory)
    status = CaseStatus.NEW
    submitted_at = factory.LazyFunction(timezone.now)
    condition = factory.SubFactory(ConditionFactory)
    duration = ConditionDuration.UNDER_3_YEARS
    severity = 6
    functional_impact = "Cannot walk more than 500 m."
    symptoms = "Knee pain and stiffness in the morning."
    goals = "Walk the dog again without pain."
    diagnosis_confirmed = True
    takes_nsaids = False
    takes_immunosuppressants = False
    takes_anticoagulants = False
    had_cell_therapy = False
    active_infection = False
    cancer = CancerHistory.NEVER
    immune_compromise = ImmuneCompromise.NONE
    pregnant = False
    bleeding_disorder = False
    smoking = SmokingStatus.NEVER
    alcohol = AlcoholUse.LIGHT
    budget_min_usd = 3000
    budget_max_usd = 12000
    countries_accepted = factory.LazyFunction(lambda: ["MX", "CO"])
    travel_window = TravelWindow.WITHIN_6_MONTHS
    travel_companion = True
    needs_travel_help = False

    @factory.post_generation
    def consent(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            PrivacyConsent.objects.create(
                case=cast(Case, self),
                notice_version="2026-11",
                share_with_chosen_clinics=True,
                ip_address="203.0.113.5",
            )


class DraftCaseFactory(CaseFactory):
    status = CaseStatus.DRAFT
    submitted_at = None  # type: ignore[assignment]
    draft_step = "review"


class CaseDocumentFactory(DjangoModelFactory):
    class Meta:
        model = CaseDocument

    case = factory.SubFactory(CaseFactory)
    doc_type = DocumentType.RECORD
    kind = "pdf"
    content_type = "application/pdf"
    original_name = "report.pdf"
    metadata = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class: type[CaseDocument], *args: Any, **kwargs: Any) -> CaseDocument:
        data: bytes = kwargs.pop("data", None) or pdf_bytes()
        doc = model_class(**kwargs)  # factory_boy passes every field by keyword
        doc.sha256 = hashlib.sha256(data).hexdigest()
        doc.size = len(data)
        doc.file.save(
            f"intake/test/{hashlib.md5(data, usedforsecurity=False).hexdigest()}-"
            f"{timezone.now().timestamp()}.pdf",
            ContentFile(data),
            save=False,
        )
        doc.save()
        return doc


class ProposalFactory(DjangoModelFactory):
    class Meta:
        model = Proposal

    case = factory.SubFactory(CaseFactory)
    status = ProposalStatus.SENT
    sent_at = factory.LazyFunction(timezone.now)


class ProposedClinicFactory(DjangoModelFactory):
    class Meta:
        model = ProposedClinic

    proposal = factory.SubFactory(ProposalFactory)
    clinic = factory.SubFactory(ClinicFactory)
    score = 80
    position = factory.Sequence(int)


def make_token(
    case: Case, purpose: str, raw: str, *, expires_in: datetime.timedelta | None = None
) -> AccessToken:
    """A token with a known raw value (tests only)."""
    now = timezone.now()
    expires_in = expires_in if expires_in is not None else datetime.timedelta(days=7)
    return AccessToken.objects.create(
        case=case,
        purpose=purpose,
        token_hash=hash_token(raw),
        created_at=now + min(expires_in, datetime.timedelta(0)) - datetime.timedelta(minutes=1),
        expires_at=now + expires_in,
    )


# Typed constructors: factory_boy's __call__ is untyped, mypy sees the factory class.
def make_patient(**kwargs: Any) -> Patient:
    return cast(Patient, PatientFactory(**kwargs))


def make_case(**kwargs: Any) -> Case:
    return cast(Case, CaseFactory(**kwargs))


def make_draft(**kwargs: Any) -> Case:
    return cast(Case, DraftCaseFactory(**kwargs))


def make_document(**kwargs: Any) -> CaseDocument:
    return cast(CaseDocument, CaseDocumentFactory(**kwargs))


def make_proposal(**kwargs: Any) -> Proposal:
    return cast(Proposal, ProposalFactory(**kwargs))


def make_proposed_clinic(**kwargs: Any) -> ProposedClinic:
    return cast(ProposedClinic, ProposedClinicFactory(**kwargs))


def make_clinic(**kwargs: Any) -> Clinic:
    return cast(Clinic, ClinicFactory(**kwargs))


def make_condition(**kwargs: Any) -> Condition:
    return cast(Condition, ConditionFactory(**kwargs))
