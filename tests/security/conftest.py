"""Fixtures for the security tests: the two-tenant world and the application's database role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Personas

from .world import World, build_world


@pytest.fixture
def world(personas: Personas, settings: Any) -> World:
    # Hundreds of requests from one address: the rate limits would answer 429 and
    # hide what each view itself does.
    settings.RATELIMIT_ENABLE = False
    return build_world(personas)
