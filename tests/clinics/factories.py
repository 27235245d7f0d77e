"""Factories for the clinics domain (offerings, credentials, reviews, legality)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from clinics.models import (
    CellOrigin,
    CellSource,
    CellType,
    ChangeRequest,
    Credential,
    CredentialKind,
    CredentialStatus,
    Doctor,
    Legality,
    LegalityRule,
    Manipulation,
    Offering,
    OfferingStatus,
    Review,
    ReviewStatus,
    Route,
    VettingReview,
)
from clinics.money import current_rates, to_usd
from clinics.pdf import simple_pdf
from tests.factories import ClinicFactory, ConditionFactory, UserFactory

PDF_BYTES = simple_pdf("Test credential", ["Issued for tests"])


class OfferingFactory(DjangoModelFactory[Offering]):
    class Meta:
        model = Offering
        skip_postgeneration_save = True

    clinic = factory.SubFactory(ClinicFactory)
    title = factory.Sequence(lambda n: f"Cultured MSC knee protocol {n}")
    cell_type = CellType.MSC
    cell_source = CellSource.ADIPOSE
    origin = CellOrigin.AUTOLOGOUS
    manipulation = Manipulation.CULTURED
    cell_count_millions = Decimal("50")
    volume_ml = None
    viability_percent = 92
    route = Route.JOINT
    sessions = 1
    typical_stay_nights = 3
    price_currency = "USD"
    price_min = Decimal("6000")
    price_max = Decimal("9000")
    price_min_usd = factory.LazyAttribute(lambda o: to_usd(o.price_min, o.price_currency))
    price_max_usd = factory.LazyAttribute(lambda o: to_usd(o.price_max, o.price_currency))
    # Another currency needs rates on file (the ``exchange_rates`` fixture).
    price_usd_rate_on = factory.LazyAttribute(
        lambda o: current_rates().rate_on(o.price_currency) if o.price_currency != "USD" else None
    )
    included = "Consultation, imaging, cell processing, two nights' hotel"
    status = OfferingStatus.LIVE

    @factory.post_generation
    def conditions(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if not create:
            return
        self.conditions.set(extracted if extracted is not None else [ConditionFactory.create()])


class CredentialFactory(DjangoModelFactory[Credential]):
    class Meta:
        model = Credential

    clinic = factory.SubFactory(ClinicFactory)
    kind = CredentialKind.MEDICAL_LICENCE
    issuer = "Secretaría de Salud"
    number = factory.Sequence(lambda n: f"LIC-{n:05d}")
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    document = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="credential.pdf"))
    document_sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    document_size = len(PDF_BYTES)
    document_kind = "pdf"
    document_content_type = "application/pdf"
    document_name = "licence.pdf"
    status = CredentialStatus.VERIFIED
    verified_at = factory.LazyFunction(timezone.now)


class DoctorFactory(DjangoModelFactory[Doctor]):
    class Meta:
        model = Doctor

    clinic = factory.SubFactory(ClinicFactory)
    full_name = factory.Sequence(lambda n: f"Dr. Test Doctor {n}")
    speciality = "Orthopedic surgery"
    licence_number = factory.Sequence(lambda n: f"CED-{n:06d}")
    licence_authority = "Dirección General de Profesiones"
    is_active = True
    verified_at = factory.LazyFunction(timezone.now)


class LegalityRuleFactory(DjangoModelFactory[LegalityRule]):
    class Meta:
        model = LegalityRule

    country = "MX"
    cell_type = ""
    origin = ""
    cell_source = ""
    legality = Legality.ALLOWED


class ReviewFactory(DjangoModelFactory[Review]):
    class Meta:
        model = Review

    clinic = factory.SubFactory(ClinicFactory)
    author = factory.SubFactory(UserFactory)
    author_display_name = factory.Sequence(lambda n: f"Patient {n}")
    rating = 5
    body = "Clear explanations, careful follow-up."
    treatment_verified_at = factory.LazyFunction(timezone.now)
    status = ReviewStatus.PUBLISHED


class VettingReviewFactory(DjangoModelFactory[VettingReview]):
    class Meta:
        model = VettingReview

    clinic = factory.SubFactory(ClinicFactory)


def give_badge(
    clinic: object,
    *,
    kinds: tuple[str, ...] = (
        CredentialKind.MEDICAL_LICENCE,
        CredentialKind.INSURANCE,
    ),
    **kwargs: object,
) -> list[Credential]:
    """Current verified credentials of the given kinds for ``clinic``."""
    return [CredentialFactory.create(clinic=clinic, kind=kind, **kwargs) for kind in kinds]


__all__ = [
    "PDF_BYTES",
    "ChangeRequest",
    "CredentialFactory",
    "DoctorFactory",
    "LegalityRuleFactory",
    "OfferingFactory",
    "ReviewFactory",
    "VettingReviewFactory",
    "give_badge",
]
