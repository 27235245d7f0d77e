"""The audit trail is append-only for the application: its database role may INSERT and
SELECT on ``core_auditevent``, never UPDATE, DELETE or TRUNCATE (PostgreSQL grants,
``core.db_roles``; docs/deploy.md "Database roles")."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import ProgrammingError, connection, transaction

from core.audit import audit_event_record
from core.models import AuditEvent
from tests.conftest import Personas, require
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AppRole = Callable[[], AbstractContextManager[str]]


def _refused(sql: str, params: list[Any]) -> bool:
    """Run ``sql`` in a savepoint; True when PostgreSQL refuses it for lack of a privilege."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except ProgrammingError as exc:
        return "permission denied" in str(exc)
    return False


def test_the_application_role_adds_to_the_trail_but_cannot_change_or_delete_it(
    app_role: AppRole,
) -> None:
    with app_role():
        event = audit_event_record(action="test.appended", acting_user=None)
        assert AuditEvent.objects.filter(pk=event.pk).exists()

        assert _refused("UPDATE core_auditevent SET action = 'rewritten' WHERE id = %s", [event.pk])
        assert _refused("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
        assert _refused("TRUNCATE core_auditevent", [])
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).action == "test.appended"


def test_the_application_role_still_writes_every_other_table(
    app_role: AppRole, personas: Personas
) -> None:
    with app_role():
        personas.alice.full_name = "Alice A."
        personas.alice.save(update_fields=["full_name"])
        assert not _refused("DELETE FROM django_session WHERE session_key = %s", ["x"])


def test_deleting_a_user_never_touches_the_trail(app_role: AppRole) -> None:
    """GIVEN a staff member who left audit rows
    WHEN their account is deleted by the application
    THEN it succeeds (nothing cascades into the append-only table) and the rows keep the label."""
    leaver = UserFactory.create(email="leaver@concierge.example")
    event = audit_event_record(action="test.done", acting_user=leaver)
    with app_role():
        leaver.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor_label == "leaver@concierge.example"


def test_db_grants_prints_the_statements_for_the_deployer() -> None:
    require(connection.vendor == "postgresql", "database roles and grants are PostgreSQL's")
    out = StringIO()
    call_command("db_grants", "--app-role", "portal_app", "--owner", "portal_owner", stdout=out)
    text = out.getvalue()
    assert (
        'REVOKE UPDATE, DELETE, TRUNCATE ON "public"."core_auditevent" FROM "portal_app";' in text
    )
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "portal_owner"' in text
