from __future__ import annotations

import pytest

from clinics.demo import seed_exchange_rates
from clinics.models import Condition
from clinics.money import UsdRates, current_rates
from tests.factories import ConditionFactory


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
