"""``manage.py db_grants --app-role portal_app``: the application role's grants.

Prints the SQL that gives the application role its rights on every table and makes
the audit trail append-only for it (``core.db_roles``); ``--apply`` runs it on the
default database, as the owner role, after ``migrate``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from core.db_roles import app_role_grants, owner_default_privileges


class Command(BaseCommand):
    help = "Print (or --apply) the application role's grants: the audit trail append-only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", required=True, help="The role web and workers use.")
        parser.add_argument(
            "--owner", default="", help="The owner role: also set its default privileges."
        )
        parser.add_argument("--schema", default="public")
        parser.add_argument("--apply", action="store_true", help="Run the statements now.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles and grants are PostgreSQL's; nothing to do here.")
        statements = app_role_grants(options["app_role"], schema=options["schema"])
        if options["owner"]:
            statements += owner_default_privileges(
                options["owner"], options["app_role"], schema=options["schema"]
            )
        if options["apply"]:
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        for statement in statements:
            self.stdout.write(f"{statement};")
