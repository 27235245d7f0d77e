"""On PostgreSQL the parameters are bound on the server, so a statement a connection runs
again and again is prepared, and PostgreSQL stops parsing and planning it each time
(docs/deploy.md, "PostgreSQL"): the outbox's per-message UPDATE costs it a third less."""

from __future__ import annotations

import pytest
from django.db import connection

from core.models import Notification
from tests.conftest import require


def _require_postgresql() -> None:
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's: DATABASE_URL")


def test_postgresql_binds_parameters_on_the_server_and_prepares_what_repeats() -> None:
    _require_postgresql()
    options = connection.settings_dict["OPTIONS"]
    # Both: Django turns psycopg's preparing off unless prepare_threshold is named.
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5


@pytest.mark.django_db
def test_a_statement_the_connection_repeats_is_prepared() -> None:
    _require_postgresql()
    for pk in range(8):  # psycopg prepares a statement on its fifth run
        assert not Notification.objects.filter(pk=-pk - 1).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert [s for s in prepared if '"core_notification"' in s and "$1" in s], prepared
