"""Writing a large data set fast: COPY on PostgreSQL, ``bulk_create`` elsewhere.

Rows are ordinary model instances, so every field's default (including fields other
engineers add later) and every database conversion is Django's own. Primary keys are
assigned here, before the write, so related rows can point at them without reading
anything back; the sequences are moved past them at the end (``finish``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

BULK_CREATE_BATCH = 1_000


M = TypeVar("M", bound=models.Model)


@dataclass
class Writer:
    """Hands out primary keys and inserts instances; keeps a count per table for the report."""

    log: Callable[[str], None] = print
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    _next_pk: dict[type[models.Model], int] = field(default_factory=dict)

    def next_pk(self, model: type[models.Model]) -> int:
        """A fresh primary key for ``model`` (above every existing row)."""
        if model not in self._next_pk:
            top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
            self._next_pk[model] = int(top) + 1
        pk = self._next_pk[model]
        self._next_pk[model] = pk + 1
        return pk

    def assign(self, obj: M) -> M:
        obj.pk = self.next_pk(type(obj))
        return obj

    def insert(self, model: type[models.Model], rows: Iterable[models.Model]) -> int:
        """Insert ``rows`` (instances of ``model`` with their pk set); returns how many."""
        started = time.monotonic()
        if connection.vendor == "postgresql":
            written = _copy(model, rows)
        else:
            written = 0
            batch: list[models.Model] = []
            for obj in rows:
                batch.append(obj)
                if len(batch) >= BULK_CREATE_BATCH:
                    model._default_manager.bulk_create(batch)
                    written += len(batch)
                    batch.clear()
            if batch:
                model._default_manager.bulk_create(batch)
                written += len(batch)
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + written
        self.seconds[label] = self.seconds.get(label, 0.0) + time.monotonic() - started
        return written

    def report(self) -> None:
        for label, count in self.counts.items():
            self.log(f"  {label}: {count:,} rows ({self.seconds[label]:.1f} s)")

    def finish(self) -> None:
        """Move the sequence of every table we wrote past its largest key."""
        models_written = list(self._next_pk)
        statements = connection.ops.sequence_reset_sql(no_style(), models_written)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# Fields whose Python value psycopg writes as is (no conversion of Django's to apply).
_PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,
    models.DateField,
    models.DecimalField,
    models.FloatField,
    models.ForeignKey,
    models.IntegerField,
    models.TextField,
    models.UUIDField,
)
# Subclasses of those that do convert: theirs must run.
_CONVERTING = (models.FileField, models.JSONField)


def _getter(field: models.Field[Any, Any], db: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """How to read ``field``'s database value from an instance, as ``save()`` would."""
    attname = field.attname
    auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    if (
        isinstance(field, _PLAIN)
        and not isinstance(field, _CONVERTING)
        and not auto
        and (type(field).__module__.startswith("django."))
    ):
        return lambda obj: getattr(obj, attname)
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), db)


def _copy(model: type[models.Model], rows: Iterable[models.Model]) -> int:
    """``COPY table (columns) FROM STDIN`` with each value prepared as ``save()`` would."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs per attribute
    fields = list(model._meta.concrete_fields)
    getters = [_getter(f, db) for f in fields]
    quote = db.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    written = 0
    with db.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(sql) as copy:
            for obj in rows:
                copy.write_row([get(obj) for get in getters])
                written += 1
    return written
