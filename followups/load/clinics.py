"""Clinics for the load data set: the register, offerings, team and reviews.

Offerings are the demo's treatment passports (``clinics.demo_data.OFFERINGS``) with
prices varied per clinic and their USD equivalents from the rates on file.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clinics.demo_data import ISSUERS, OFFERINGS
from clinics.models import (
    Clinic,
    ClinicStatus,
    Condition,
    Credential,
    CredentialKind,
    CredentialStatus,
    Doctor,
    Offering,
    OfferingStatus,
    Review,
    ReviewStatus,
    VettingDecision,
    VettingReview,
)
from clinics.money import apply_usd_prices, current_rates
from core.models import User

from .bulk import Writer
from .words import (
    CLINIC_KINDS,
    CLINIC_WORDS,
    DOCTOR_SPECIALITIES,
    FIRST_NAMES,
    LAST_NAMES,
    PLACES,
    REVIEW_BODIES,
)

SLUG_PREFIX = "load-"
OFFERINGS_PER_CLINIC = 5
STATUS_WEIGHTS = {
    ClinicStatus.VETTED: 85,
    ClinicStatus.UNDER_REVIEW: 5,
    ClinicStatus.APPLIED: 5,
    ClinicStatus.SUSPENDED: 3,
    ClinicStatus.REJECTED: 2,
}


@dataclass
class LoadedOffering:
    pk: int
    clinic_id: int
    route: str
    cell_count: Decimal | None
    volume: Decimal | None
    title: str


@dataclass
class LoadedClinic:
    pk: int
    name: str
    zone: str
    status: str
    offerings: list[LoadedOffering] = field(default_factory=list)
    doctors: list[int] = field(default_factory=list)


def _clinic_name(rng: random.Random, city: str, index: int) -> str:
    return f"{city} {rng.choice(CLINIC_WORDS)} {rng.choice(CLINIC_KINDS)} {index}"


def load_clinics(
    writer: Writer, rng: random.Random, *, count: int, staff: User
) -> list[LoadedClinic]:
    """``count`` clinics, most vetted, each with a register, offerings, team and reviews."""
    now = timezone.now()
    today = timezone.localdate()
    rates = current_rates()
    conditions = dict(Condition.objects.values_list("slug", "pk"))
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    loaded: list[LoadedClinic] = []
    clinics: list[Clinic] = []
    for index in range(1, count + 1):
        country, city, zone, languages, _currency = rng.choice(PLACES)
        status = rng.choices(statuses, weights)[0]
        name = _clinic_name(rng, city, index)
        clinic = writer.assign(
            Clinic(
                name=name,
                slug=f"{SLUG_PREFIX}clinic-{index}",
                country=country,
                city=city,
                time_zone=zone,
                languages=languages,
                website=f"https://clinic-{index}.example",
                description="Treats joints, spine and autoimmune conditions with cells.",
                content_language="es" if "es" in languages else "en",
                status=status,
                status_changed_at=now - dt.timedelta(days=rng.randint(30, 700)),
                contact_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                contact_email=f"care@clinic-{index}.example",
                accreditation_notes="Licence and lab certificate checked by our staff.",
            )
        )
        clinics.append(clinic)
        loaded.append(LoadedClinic(int(clinic.pk), name, zone, status))
    writer.insert(Clinic, clinics)

    offerings: list[Offering] = []
    links: list[Any] = []
    through = Offering.conditions.through
    for item in loaded:
        for number in range(OFFERINGS_PER_CLINIC):
            _key, title, facts, slugs = rng.choice(OFFERINGS)
            values = dict(facts)
            factor = Decimal(rng.randint(70, 130)) / 100
            for key in ("price_min", "price_max"):
                values[key] = (Decimal(values[key]) * factor).quantize(Decimal("1"))
            for key in ("cell_count_millions", "volume_ml"):
                if key in values:
                    values[key] = Decimal(values[key])
            state = (
                OfferingStatus.LIVE
                if rng.random() < 0.9
                else rng.choice([OfferingStatus.PENDING, OfferingStatus.WITHDRAWN])
            )
            offering = Offering(
                clinic_id=item.pk,
                title=f"{title} ({number + 1})",
                status=state,
                summary="What the treatment involves, step by step.",
                **values,
            )
            apply_usd_prices(offering, rates)
            writer.assign(offering)
            offerings.append(offering)
            if state == OfferingStatus.LIVE:
                item.offerings.append(
                    LoadedOffering(
                        int(offering.pk),
                        item.pk,
                        offering.route,
                        offering.cell_count_millions,
                        offering.volume_ml,
                        offering.title,
                    )
                )
            for slug in slugs:
                if slug in conditions:
                    links.append(
                        writer.assign(
                            through(offering_id=offering.pk, condition_id=conditions[slug])
                        )
                    )
    writer.insert(Offering, offerings)
    writer.insert(through, links)

    writer.insert(Doctor, _doctors(writer, rng, loaded, now))
    writer.insert(Credential, _credentials(writer, rng, loaded, clinics, today, now, staff))
    writer.insert(VettingReview, _vetting(writer, loaded, now, staff))
    writer.insert(Review, _reviews(writer, rng, loaded, now, staff))
    return loaded


def _doctors(
    writer: Writer, rng: random.Random, loaded: list[LoadedClinic], now: dt.datetime
) -> list[Doctor]:
    rows: list[Doctor] = []
    for item in loaded:
        for order in range(rng.randint(1, 3)):
            doctor = writer.assign(
                Doctor(
                    clinic_id=item.pk,
                    full_name=f"Dr {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    speciality=rng.choice(DOCTOR_SPECIALITIES),
                    licence_number=f"L-{item.pk}-{order}",
                    licence_authority="Medical council",
                    bio="Trained in regenerative medicine; fifteen years in practice.",
                    display_order=order,
                    is_active=True,
                    verified_at=now - dt.timedelta(days=200),
                )
            )
            rows.append(doctor)
            item.doctors.append(int(doctor.pk))
    return rows


def _credentials(
    writer: Writer,
    rng: random.Random,
    loaded: list[LoadedClinic],
    clinics: list[Clinic],
    today: dt.date,
    now: dt.datetime,
    staff: User,
) -> list[Credential]:
    rows: list[Credential] = []
    for item, clinic in zip(loaded, clinics, strict=True):
        if item.status in (ClinicStatus.APPLIED, ClinicStatus.REJECTED):
            continue
        licence, lab, insurer = ISSUERS.get(str(clinic.country), ISSUERS["MX"])
        kinds = [
            (CredentialKind.MEDICAL_LICENCE, licence),
            (CredentialKind.INSURANCE, insurer),
            (CredentialKind.LAB_CERTIFICATE, lab),
            (CredentialKind.CELL_QUALITY, f"{item.name} quality unit"),
            (CredentialKind.DONOR_SCREENING, lab),
        ]
        for kind, issuer in kinds:
            # A few expired or about to: the badge logic and the review queue see real cases.
            expires = today + dt.timedelta(days=rng.choice([-20, 12, 200, 400, 700, 900]))
            rows.append(
                writer.assign(
                    Credential(
                        clinic_id=item.pk,
                        kind=kind,
                        issuer=issuer,
                        number=f"{kind[:3].upper()}-{item.pk}",
                        issued_on=expires - dt.timedelta(days=1000),
                        expires_on=expires,
                        document=f"clinics/credentials/load-{item.pk}-{kind}.pdf",
                        document_sha256="0" * 64,
                        document_size=84_213,
                        document_kind="pdf",
                        document_content_type="application/pdf",
                        document_name=f"{kind}.pdf",
                        status=CredentialStatus.VERIFIED,
                        verified_by_id=staff.pk,
                        verified_at=now - dt.timedelta(days=rng.randint(10, 300)),
                    )
                )
            )
    return rows


def _vetting(
    writer: Writer, loaded: list[LoadedClinic], now: dt.datetime, staff: User
) -> list[VettingReview]:
    rows: list[VettingReview] = []
    for item in loaded:
        decided = item.status == ClinicStatus.VETTED
        checks = dict.fromkeys(VettingReview.CHECKLIST, decided)
        rows.append(
            writer.assign(
                VettingReview(
                    clinic_id=item.pk,
                    reviewer_id=staff.pk,
                    notes="Video call with the medical team.",
                    decision=VettingDecision.VETTED if decided else "",
                    decided_at=now - dt.timedelta(days=90) if decided else None,
                    decided_by_id=staff.pk if decided else None,
                    **checks,
                )
            )
        )
    return rows


def _reviews(
    writer: Writer, rng: random.Random, loaded: list[LoadedClinic], now: dt.datetime, staff: User
) -> list[Review]:
    rows: list[Review] = []
    for item in loaded:
        if item.status != ClinicStatus.VETTED:
            continue
        for _n in range(rng.randint(0, 12)):
            rows.append(
                writer.assign(
                    Review(
                        clinic_id=item.pk,
                        author_display_name=f"{rng.choice(FIRST_NAMES)}, {rng.randint(35, 80)}",
                        rating=rng.choices([1, 2, 3, 4, 5], [5, 8, 15, 35, 37])[0],
                        body=rng.choice(REVIEW_BODIES),
                        language="en",
                        status=ReviewStatus.PUBLISHED,
                        treatment_verified_at=now - dt.timedelta(days=rng.randint(5, 600)),
                        treatment_verified_by_id=staff.pk,
                        created_at=now - dt.timedelta(days=rng.randint(1, 600)),
                    )
                )
            )
    return rows
