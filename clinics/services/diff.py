"""What staff (and the clinic) see of a change request: one row per field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models

from ..models import ChangeRequest, Condition
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
    rows = []
    for name, proposed in sorted(change_request.changes.items()):
        was = change_request.original.get(name)
        now = current_value(target, name) if target is not None else was
        label = str(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
        rows.append(DiffRow(
            field=name, label=label.capitalize(),
            proposed_from=_display(target, model, name, was),
            current=_display(target, model, name, now),
            proposed=_display(target, model, name, proposed),
        ))
    return rows
