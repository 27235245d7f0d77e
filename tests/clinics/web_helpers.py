"""Builders shared by the directory, profile and portal view tests (CLINICS-WEB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

from django.test import Client
from django.utils import timezone

from clinics.models import (
    CellSource,
    Clinic,
    ClinicStatus,
    Condition,
    CredentialKind,
    Manipulation,
    Route,
)
from core.models import User
from tests.factories import ClinicFactory, ConditionFactory

from .factories import (
    CredentialFactory,
    DoctorFactory,
    OfferingFactory,
    ReviewFactory,
    give_badge,
)

COUNTRIES = ("MX", "CO", "CR", "PA", "TH", "JP", "KR", "MY", "AE")


def knee() -> Condition:
    return cast(Condition, ConditionFactory(name="Knee osteoarthritis", slug="knee-osteoarthritis"))


def full_clinic(n: int, *, condition: Condition | None = None, **clinic_kwargs: object) -> Clinic:
    """A vetted clinic with everything the directory and profile show.

    Two offerings (cultured MSC by IV, same-day bone marrow in mL), licence and
    insurance (the badge) plus a lab certificate, a doctor and two published
    reviews (one good, one bad).
    """
    defaults: dict[str, object] = {
        "name": f"Clinic {n:03d}",
        "slug": f"clinic-{n:03d}",
        "country": COUNTRIES[n % len(COUNTRIES)],
        "languages": ["es", "en"],
    }
    clinic = cast(Clinic, ClinicFactory(**{**defaults, **clinic_kwargs}))
    condition = condition or knee()
    give_badge(clinic)
    CredentialFactory(clinic=clinic, kind=CredentialKind.LAB_CERTIFICATE)
    CredentialFactory(clinic=clinic, kind=CredentialKind.CELL_QUALITY)
    OfferingFactory(
        clinic=clinic,
        title=f"Cultured MSC infusion {n}",
        route=Route.IV,
        cell_count_millions=Decimal("100"),
        conditions=[condition],
        price_min=Decimal(4000 + n),
        price_max=Decimal(9000 + n),
    )
    OfferingFactory(
        clinic=clinic,
        title=f"Same-day bone marrow {n}",
        manipulation=Manipulation.MINIMAL,
        cell_source=CellSource.BONE_MARROW,
        cell_count_millions=None,
        volume_ml=Decimal("8"),
        conditions=[condition],
        price_min=Decimal(2500),
        price_max=Decimal(3500),
    )
    DoctorFactory(clinic=clinic)
    ReviewFactory(clinic=clinic, rating=5, body="Careful and honest.")
    ReviewFactory(clinic=clinic, rating=2, body="Slow to answer afterwards.")
    return clinic


def hidden_clinic(status: str = ClinicStatus.UNDER_REVIEW) -> Clinic:
    clinic = cast(
        Clinic,
        ClinicFactory(name="Hidden Clinic Under Review", slug="hidden-under-review", status=status),
    )
    OfferingFactory(clinic=clinic, title="Hidden offering")
    return clinic


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


__all__ = [
    "full_clinic",
    "hidden_clinic",
    "knee",
    "login",
    "yesterday",
]
