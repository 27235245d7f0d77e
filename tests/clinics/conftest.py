from __future__ import annotations

import pytest

from clinics.demo import seed_exchange_rates
from clinics.models import ChangeRequest, Condition, Offering
from clinics.money import UsdRates, current_rates
from tests.conftest import Personas
from tests.factories import ConditionFactory

from .factories import CredentialFactory, DoctorFactory, OfferingFactory, ReviewFactory


@pytest.fixture
def knee(db: None) -> Condition:
    return ConditionFactory.create(name="Knee osteoarthritis", slug="knee-osteoarthritis")


@pytest.fixture
def back(db: None) -> Condition:
    return ConditionFactory.create(name="Chronic back pain", slug="chronic-back-pain")


@pytest.fixture
def exchange_rates(db: None) -> UsdRates:
    """The demo's reference rates, as staff rates dated 1 November 2026 (clinics.demo)."""
    seed_exchange_rates()
    return current_rates()


@pytest.fixture
def offering(personas: Personas, knee: Condition) -> Offering:
    """Clinic A's live offering for knee osteoarthritis (the change-request tests)."""
    return OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])


@pytest.fixture
def world(personas: Personas) -> Personas:
    """Each persona clinic with an offering, a doctor, a credential, a review and a request.

    The portal view tests read them back from ``personas.extra["Alfa"]`` and ``["Beta"]``.
    """
    for n, (clinic, tag) in enumerate(((personas.clinic_a, "Alfa"), (personas.clinic_b, "Beta"))):
        # The condition taxonomy is shared and public: no clinic's name in it.
        condition = ConditionFactory(name=f"Knee condition {n}", slug=f"knee-condition-{n}")
        offering = OfferingFactory(
            clinic=clinic, title=f"{tag} Knee Protocol", conditions=[condition]
        )
        doctor = DoctorFactory(clinic=clinic, full_name=f"Dr. {tag} Surgeon")
        credential = CredentialFactory(clinic=clinic, issuer=f"{tag} Health Authority")
        review = ReviewFactory(
            clinic=clinic, body=f"{tag} review text", author_display_name=f"{tag} Patient"
        )
        pending = ChangeRequest.objects.create(
            clinic=clinic,
            target=offering,
            changes={"price_max": "9500"},
            original={"price_max": "9000"},
            submitted_by=None,
        )
        personas.extra[tag] = {
            "offering": offering,
            "doctor": doctor,
            "credential": credential,
            "review": review,
            "change": pending,
            "condition": condition,
        }
    return personas
