"""What staff (and the clinic) see of a change request: one row per field."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import models

from ..models import ChangeRequest, ChangeRequestKind, Condition
from ._common import current_value


@dataclass(frozen=True)
class DiffRow:
    field: str
    label: str
    proposed_from: str
    current: str
    proposed: str

    @property
    def changed_since_proposed(self) -> bool:
        return self.proposed_from != self.current


def _display(target: models.Model | None, model: type[models.Model], name: str, raw: Any) -> str:
    """A human-readable form of a JSON-safe value (choice labels, condition names)."""
    if raw is None or raw == "" or raw == []:
        return "-"
    field = model._meta.get_field(name)
    if field.many_to_many:
        names = Condition.objects.filter(pk__in=raw).order_by("name").values_list("name", flat=True)
        return ", ".join(names)
    choices = getattr(field, "choices", None)
    if choices:
        return str(dict(field.flatchoices).get(raw, raw))  # type: ignore[union-attr]
    if isinstance(raw, list):
        return ", ".join(str(v) for v in raw)
    return str(raw)


def change_request_diff(change_request: ChangeRequest) -> list[DiffRow]:
    """The rows staff (and the clinic) see: field, value when proposed, now, proposed."""
    model = change_request.target_type.model_class()
    assert model is not None
    # Read the target afresh: "current" must be what is published now.
    target = model._default_manager.filter(pk=change_request.target_id).first()
    owner = getattr(target, "clinic_id", getattr(target, "pk", None))
    if target is not None and owner != change_request.clinic_id:
        target = None  # never show another clinic's published values (the portal shows this)
    rows = []
    for name, proposed in sorted(change_request.changes.items()):
        was = change_request.original.get(name)
        now = current_value(target, name) if target is not None else was
        label = str(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
        rows.append(
            DiffRow(
                field=name,
                label=label.capitalize(),
                proposed_from=_display(target, model, name, was),
                current=_display(target, model, name, now),
                proposed=_display(target, model, name, proposed),
            )
        )
    return rows


def change_request_fingerprint(change_request: ChangeRequest, target: models.Model | None) -> str:
    """A digest of exactly what the diff shows: the proposal and the values published now.

    The change page posts it back with the decision; approving refuses when it no
    longer matches, so staff never apply a proposal (or over a published value)
    they did not see.
    """
    names = sorted(change_request.changes)
    if change_request.kind == ChangeRequestKind.CREATE and target is not None:
        names = sorted(set(names) | set(getattr(target, "VETTED_FACT_FIELDS", ())))
    current = {n: current_value(target, n) for n in names} if target is not None else None
    payload = json.dumps(
        {
            "id": change_request.pk,
            "kind": change_request.kind,
            "status": change_request.status,
            "changes": change_request.changes,
            "original": change_request.original,
            "current": current,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
