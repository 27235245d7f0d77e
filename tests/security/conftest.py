"""Fixtures for the security tests: the two-tenant world and the application's database role."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from django.db import connection

from core.db_roles import app_role_grants
from tests.conftest import Personas, require

from .builder import build_world
from .world import World


@pytest.fixture
def world(personas: Personas, settings: Any) -> World:
    # Hundreds of requests from one address: the rate limits would answer 429 and
    # hide what each view itself does.
    settings.RATELIMIT_ENABLE = False
    return build_world(personas)


@contextmanager
def application_role() -> Iterator[str]:
    """Act as the application's database role for the block (PostgreSQL only).

    The role is created with ``core.db_roles.app_role_grants`` inside the test's own
    transaction, so it (a cluster-wide object) goes away with the rollback; its name is
    unique, so parallel test databases on the same server never meet.
    """
    require(connection.vendor == "postgresql", "database roles and grants are PostgreSQL's")
    role = f"portal_app_test_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {connection.ops.quote_name(role)} NOLOGIN")
        for statement in app_role_grants(role):
            cursor.execute(statement)
        cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


@pytest.fixture
def app_role() -> Callable[[], AbstractContextManager[str]]:
    return application_role
