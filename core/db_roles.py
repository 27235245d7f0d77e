"""The PostgreSQL roles the portal runs with, and the grants that keep the audit trail
append-only for the application (docs/deploy.md, "Database roles").

* The **owner** role owns the schema and runs ``manage.py migrate``; nothing else.
* The **application** role (web, workers, beat) may read and write every table but
  ``core_auditevent``, where it may only INSERT and SELECT: no UPDATE, DELETE or
  TRUNCATE. A bug or an intruder in the application can add to the trail, never
  rewrite it. Nothing cascades into that table either (``AuditEvent.actor`` has no
  database constraint), so deleting a user never needs to touch it.

``manage.py db_grants`` prints (or, run as the owner, applies) these statements; run
it after every ``migrate``, since a migration may add tables.
"""

from __future__ import annotations

from django.db import connection

from .models import AuditEvent

# Tables the application may add to and read, never change.
APPEND_ONLY_TABLES: tuple[str, ...] = (AuditEvent._meta.db_table,)


def _q(name: str) -> str:
    return str(connection.ops.quote_name(name))


def app_role_grants(role: str, *, schema: str = "public") -> list[str]:
    """What the application role may do: everything on every table, then append-only
    on the audit trail. Idempotent: run after each migration."""
    statements = [
        f"GRANT USAGE ON SCHEMA {_q(schema)} TO {_q(role)}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {_q(schema)} TO {_q(role)}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_q(schema)} TO {_q(role)}",
    ]
    statements += [
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {_q(schema)}.{_q(table)} FROM {_q(role)}"
        for table in APPEND_ONLY_TABLES
    ]
    return statements


def owner_default_privileges(owner: str, role: str, *, schema: str = "public") -> list[str]:
    """Tables and sequences the owner creates later are the application's to use at once
    (the audit table exists already, so its REVOKE above stays in force)."""
    return [
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {_q(owner)} IN SCHEMA {_q(schema)} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {_q(role)}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {_q(owner)} IN SCHEMA {_q(schema)} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {_q(role)}",
    ]
