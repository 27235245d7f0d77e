"""Target-side helpers shared by submitting and deciding change requests.

Submitting (``changes``) and approving (``change_decisions``) must check, lock,
validate and write a target in exactly the same way, or an approved value could
differ from the one the proposal was validated as; keeping these in one module
lets both sides use them without either importing the other.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError

from ..models import Clinic, Condition, Doctor, Offering
from ..money import apply_usd_prices
from ._common import assign, current_value

EDITABLE_MODELS: tuple[type[models.Model], ...] = (Clinic, Offering, Doctor)


def _check_target(target: models.Model) -> None:
    if not isinstance(target, EDITABLE_MODELS) or target.pk is None:
        raise DomainError(_("This item cannot be changed here."), code="invalid_target")


def refresh_usd(offering: Offering) -> None:
    """Recompute the USD equivalents used for budget matching, and their rate's day.

    Raises DomainError when no exchange rate is on file for the currency: staff
    enter one in the admin (clinics.money), then the price can be saved.
    """
    if not apply_usd_prices(offering):
        raise DomainError(
            _(
                "We have no exchange rate for %(currency)s yet, so this price cannot be saved. "
                "Our staff have to add the rate first; please try again later or use US dollars."
            )
            % {"currency": offering.price_currency},
            code="no_exchange_rate",
        )


def _apply(target: models.Model, changes: dict[str, Any]) -> None:
    """Apply JSON-safe values to ``target``, validate and save (m2m after save)."""
    m2m = {n: v for n, v in changes.items() if target._meta.get_field(n).many_to_many}
    for name, raw in changes.items():
        if name not in m2m:
            assign(target, name, raw)
    if isinstance(target, Offering):
        refresh_usd(target)
    if "conditions" in m2m:
        _validate_conditions(m2m["conditions"])
    target.full_clean()
    target.save()
    for name, ids in m2m.items():
        getattr(target, name).set(ids)


def _validate_conditions(ids: list[int]) -> None:
    if not ids:
        raise ValidationError({"conditions": [_("Choose at least one condition.")]})
    if Condition.objects.filter(pk__in=ids).count() != len(ids):
        raise ValidationError({"conditions": [_("Choose conditions from the list.")]})


def _vetted_snapshot(target: models.Model) -> dict[str, Any]:
    fields: frozenset[str] = target.VETTED_FACT_FIELDS  # type: ignore[attr-defined]
    return {name: current_value(target, name) for name in sorted(fields)}


def _target_label(target: models.Model) -> str:
    return f"{target._meta.label_lower}:{target.pk}"


def _lock(target: models.Model) -> models.Model:
    return type(target)._default_manager.select_for_update().get(pk=target.pk)
