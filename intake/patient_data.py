"""What each app holds about a patient: the typed hook behind export and erasure.

``intake`` owns the patient and the case page, so the patient's export and
erasure are intake's services. Rows that higher apps keep about the patient
(consultations, follow-ups) are reached through a :class:`PatientDataSource`
each of them registers here from its ``AppConfig.ready()``; this app never
names them. A source says which models it covers, serialises the patient's
rows for the export, deletes them for an erasure (recording what it deleted,
so the history rows, the outbox and the admin log can follow), and names any
legal hold that must stop an erasure.

A new model that refers to a patient must be covered by a source: the test
``tests/intake/test_rights_export.py`` walks every model's foreign keys and
fails for one that is not. A foreign key to ``core.User`` that can only ever
name staff is declared with :func:`staff_user_fields_declare` instead.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models.fields.files import FieldFile

if TYPE_CHECKING:
    from django.core.files.storage import Storage

    from .models import Patient

# Never exported: secrets and the machinery that protects them.
SECRET_FIELDS = frozenset({"token_hash", "lease_token", "password", "secret", "key"})

Row = dict[str, Any]
Rows = dict[str, list[Row]]


def model_label(model: type[models.Model] | models.Model) -> str:
    return str(model._meta.label)


def _plain(value: Any) -> Any:
    """A JSON-friendly value (the encoder handles dates, decimals and UUIDs)."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time, decimal.Decimal, uuid.UUID)):
        return value
    if isinstance(value, FieldFile):
        return value.name or ""
    return str(value)  # phone numbers, zones, countries


def serialize(obj: models.Model, *, exclude: Iterable[str] = ()) -> Row:
    """Every concrete field of ``obj`` by name; foreign keys as ids; no secrets."""
    skip = SECRET_FIELDS | set(exclude)
    row: Row = {}
    for f in obj._meta.concrete_fields:
        if f.name in skip:
            continue
        row[f.attname if f.is_relation else f.name] = _plain(f.value_from_object(obj))
    return row


def rows_of(queryset: models.QuerySet[Any], *, exclude: Iterable[str] = ()) -> list[Row]:
    return [serialize(obj, exclude=exclude) for obj in queryset.order_by("pk").iterator()]


@dataclass(frozen=True)
class ExportFile:
    """A stored file the patient gets a copy of, as stored, at ``path`` in the zip."""

    path: str
    file: FieldFile
    size: int
    sha256: str = ""


@dataclass(frozen=True)
class LegalHold:
    """A documented reason the law makes us keep a row: it stops an erasure.

    ``code`` and ``until`` are kept on the erasure request (no patient values).
    """

    code: str
    message: Any
    source: str
    until: dt.date | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "source": self.source,
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass
class Erasure:
    """What one erasure deleted so far, filled in by every source's eraser.

    ``rows`` maps model labels to primary keys: the history rows of those rows,
    the outbox rows about them and their admin log entries go too. ``files``
    are deleted after the transaction commits.
    """

    patient: Patient
    rows: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    files: list[tuple[Storage, str]] = field(default_factory=list)
    bytes: int = 0

    def delete(self, queryset: models.QuerySet[Any]) -> int:
        """Delete ``queryset``, remembering its keys (call it leaves first)."""
        pks = list(queryset.values_list("pk", flat=True))
        if not pks:
            return 0
        self.rows[model_label(queryset.model)].update(pks)
        queryset.model._default_manager.filter(pk__in=pks).delete()
        return len(pks)

    def note(self, model: type[models.Model], pks: Iterable[Any]) -> None:
        """Record rows changed in place (anonymised rather than deleted)."""
        self.rows[model_label(model)].update(pks)

    def file(self, fieldfile: FieldFile, size: int | None = None) -> None:
        if fieldfile and fieldfile.name:
            self.files.append((fieldfile.storage, fieldfile.name))
            self.bytes += int(size or 0)

    def counts(self) -> dict[str, int]:
        return {label: len(pks) for label, pks in sorted(self.rows.items()) if pks}


def _no_files(patient: Patient) -> list[ExportFile]:
    return []


def _no_holds(patient: Patient) -> list[LegalHold]:
    return []


@dataclass(frozen=True)
class PatientDataSource:
    """One app's share of what we hold about a patient.

    ``models``: labels of the models this source exports and erases.
    ``export``: the patient's rows, by model label (every covered label present,
    empty or not). ``erase``: delete them through ``Erasure.delete`` (runs inside
    the erasure's transaction, in ascending ``order``: higher apps first, since
    their rows point at intake's). ``files``: stored files the export includes.
    ``holds``: legal holds that stop an erasure today.
    """

    key: str
    label: Any
    models: tuple[str, ...]
    export: Callable[[Patient], Rows]
    erase: Callable[[Patient, Erasure], None]
    files: Callable[[Patient], list[ExportFile]] = _no_files
    holds: Callable[[Patient], list[LegalHold]] = _no_holds
    order: int = 100


_SOURCES: dict[str, PatientDataSource] = {}
_STAFF_USER_FIELDS: dict[str, str] = {}


def patient_data_register(source: PatientDataSource) -> None:
    """Add (or, on re-import, replace) a source by its key."""
    _SOURCES[source.key] = source


def patient_data_sources() -> list[PatientDataSource]:
    """Every registered source, in erasure order."""
    return sorted(_SOURCES.values(), key=lambda s: (s.order, s.key))


def staff_user_fields_declare(reason: str, *labels: str) -> None:
    """Declare ``app.Model.field`` foreign keys to users that only ever name staff.

    The export walk then does not treat them as a way to reach a patient.
    """
    for label in labels:
        _STAFF_USER_FIELDS[label] = reason


def staff_user_fields() -> dict[str, str]:
    return dict(_STAFF_USER_FIELDS)


def covered_models() -> set[str]:
    return {label for source in _SOURCES.values() for label in source.models}
