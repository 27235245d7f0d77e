from __future__ import annotations

import pytest

from clinics.models import Condition
from tests.factories import ConditionFactory


@pytest.fixture
def knee(db: None) -> Condition:
    return ConditionFactory.create(name="Knee osteoarthritis", slug="knee-osteoarthritis")


@pytest.fixture
def back(db: None) -> Condition:
    return ConditionFactory.create(name="Chronic back pain", slug="chronic-back-pain")
