"""Which models hold patient data: declared once, on the model.

``@holds_patient_data(subject="case")`` on a model class says "rows of this model
are patient data, and they belong to the row at the end of this lookup path".
Every consumer reads the declaration from here:

* ``core.audit`` files each audit row under its *subject* (the case a document,
  booking or check-in belongs to), so the admin shows a case's whole trail with
  one indexed query, even after the document itself was removed;
* ``core.admin_audit`` records every admin look at a change, history or delete
  page of these models (``admin.viewed``, ``admin.history_viewed``);
* the access-matrix and audit-coverage tests walk this list, so a model declared
  here is covered without anyone remembering to add it.

``core`` never names a higher app's model: the apps declare their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

M = TypeVar("M", bound=type[models.Model])


@dataclass(frozen=True)
class PatientData:
    """One declared model.

    ``subject``: lookup path to the record the rows belong to (``"schedule__case"``);
    empty when each row is its own subject (a case, a patient).
    ``owner``: for a subject model, the lookup path to a wider subject whose trail
    includes it (a case's ``"patient"``).
    """

    model: type[models.Model]
    subject: str = ""
    owner: str = ""

    @property
    def label(self) -> str:
        return str(self.model._meta.label)


_DECLARED: dict[str, PatientData] = {}


def holds_patient_data(*, subject: str = "", owner: str = "") -> Callable[[M], M]:
    """Class decorator: declare a model as holding patient data (see the module docstring)."""

    def declare(model: M) -> M:
        entry = PatientData(model=model, subject=subject, owner=owner)
        _DECLARED[entry.label] = entry
        return model

    return declare


def patient_data_models() -> list[PatientData]:
    """Every declared model, in label order."""
    return [_DECLARED[label] for label in sorted(_DECLARED)]


def patient_data_entry(model: type[models.Model] | models.Model) -> PatientData | None:
    return _DECLARED.get(str(model._meta.label))


def is_patient_data(model: type[models.Model] | models.Model) -> bool:
    return str(model._meta.label) in _DECLARED


def subject_of(obj: models.Model) -> tuple[type[models.Model], Any]:
    """The record ``obj`` belongs to, as (model, primary key): itself for a subject
    model or an undeclared one.

    Follows the declared path through the relations; the last hop is read from
    its ``_id`` column, so ``subject="case"`` costs no query and each earlier hop
    not yet loaded costs one.
    """
    entry = patient_data_entry(obj)
    if entry is None or not entry.subject:
        return type(obj), obj.pk
    *hops, last = entry.subject.split("__")
    current: Any = obj
    for name in hops:
        try:
            current = getattr(current, name)
        except ObjectDoesNotExist:
            current = None
        if current is None:
            return type(obj), obj.pk
    field = current._meta.get_field(last)
    pk = getattr(current, field.attname)
    if pk is None:
        return type(obj), obj.pk
    return field.related_model, pk


def subjects_within(obj: models.Model) -> list[tuple[type[models.Model], models.QuerySet[Any]]]:
    """The subject models ``obj`` owns (a patient's cases), as (model, their rows) pairs."""
    found: list[tuple[type[models.Model], models.QuerySet[Any]]] = []
    for entry in _DECLARED.values():
        if not entry.owner or entry.subject or "__" in entry.owner:
            continue
        if entry.model._meta.get_field(entry.owner).related_model is type(obj):
            found.append((entry.model, entry.model._default_manager.filter(**{entry.owner: obj})))
    return found
