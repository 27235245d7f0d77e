"""The no-double-booking constraint, on the databases that can hold it.

PostgreSQL keeps two active bookings of one host from overlapping with an
exclusion constraint (GiST over the host id and the buffered time range; the
host id's equality needs ``btree_gist``). SQLite has no such constraint: the
booking service serialises writers there instead (every transaction is
``BEGIN IMMEDIATE`` in our settings, so the overlap check inside it cannot race).
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import connections
from django.db.models import Func


class TsTzRange(Func):
    """``tstzrange(start, end, '[)')``: the half-open span a booking blocks."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ``ExclusionConstraint`` that is silently absent on other databases.

    Django builds the constraint's SQL when it creates or alters the table: on
    SQLite we return nothing, so the table is made without it, and model
    validation skips it (its operators do not exist there).
    """

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(
        self, model: Any, instance: Any, exclude: Any = None, using: str = "default"
    ) -> None:
        if connections[using].vendor != "postgresql":
            return
        super().validate(model, instance, exclude=exclude, using=using)
