"""Authorisation and value helpers shared by the clinics services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from core.models import User

from ..models import Clinic, ClinicMembership, ClinicStatus

# A clinic in these states may not change its profile, propose facts or reply publicly.
INACTIVE_CLINIC_STATUSES = frozenset({ClinicStatus.SUSPENDED, ClinicStatus.REJECTED})


def is_staff(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_concierge


def require_staff(user: User | None) -> None:
    if not is_staff(user):
        raise PermissionDenied("Concierge staff only.")


def is_member(user: User | None, clinic: Clinic) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and ClinicMembership.objects.filter(user=user, clinic=clinic).exists()
    )


def require_member_or_staff(user: User | None, clinic: Clinic) -> None:
    """Clinic users act only on their own clinic; staff act on any."""
    if not (is_staff(user) or is_member(user, clinic)):
        raise PermissionDenied("Not a member of this clinic.")


def require_active_member_or_staff(user: User | None, clinic: Clinic) -> None:
    """As ``require_member_or_staff``; a suspended or rejected clinic's own staff may not write.

    The status is read afresh: a clinic suspended a second ago must not act on a
    stale object.
    """
    require_member_or_staff(user, clinic)
    if is_staff(user):
        return
    status = Clinic.objects.filter(pk=clinic.pk).values_list("status", flat=True).first()
    if status in INACTIVE_CLINIC_STATUSES:
        raise DomainError(
            _(
                "This clinic is suspended or rejected, so it cannot change its profile or reply "
                "to reviews. Please contact our concierge team."
            ),
            code="clinic_inactive",
        )


def is_independent_staff(user: User | None, clinic_id: int) -> bool:
    """Concierge staff who are not themselves members of the clinic."""
    return (
        is_staff(user)
        and not ClinicMembership.objects.filter(user=user, clinic_id=clinic_id).exists()
    )


def require_independent_staff(user: User | None, clinic_id: int) -> None:
    """Staff never decide for a clinic they belong to: a second person must look."""
    require_staff(user)
    if not is_independent_staff(user, clinic_id):
        raise DomainError(
            _("You are a member of this clinic: another staff member must decide."),
            code="own_clinic",
        )


def clinic_of(target: models.Model) -> Clinic:
    if isinstance(target, Clinic):
        return target
    clinic = getattr(target, "clinic", None)
    if not isinstance(clinic, Clinic):
        raise DomainError(_("This item does not belong to a clinic."), code="invalid_target")
    return clinic


def refuse_fields(model: type[models.Model], names: set[str], allowed: frozenset[str]) -> None:
    """Refuse any field a clinic user may not set: never silently apply or drop it."""
    unknown = sorted(names - allowed)
    if unknown:
        raise DomainError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)},
            code="forbidden_field",
        )


def jsonable(value: Any) -> Any:
    """A JSON-safe form of a model value, stable enough to compare and to show."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    code = getattr(value, "code", None)  # django-countries Country
    if isinstance(code, str):
        return code
    return str(value)  # ZoneInfo, PhoneNumber


def m2m_ids(values: Any) -> list[int]:
    return sorted({int(v.pk if isinstance(v, models.Model) else v) for v in (values or [])})


def current_value(obj: models.Model, name: str) -> Any:
    """The JSON-safe current value of ``name`` on ``obj`` (m2m as a sorted id list)."""
    field = obj._meta.get_field(name)
    if field.many_to_many:
        if obj.pk is None:
            return []
        return m2m_ids(getattr(obj, name).values_list("pk", flat=True))
    return jsonable(getattr(obj, field.attname))  # type: ignore[union-attr]


def normalise(obj: models.Model, name: str, value: Any) -> Any:
    """The JSON-safe form of a proposed value, parsed the way the model field parses it."""
    field = obj._meta.get_field(name)
    if field.many_to_many:
        return m2m_ids(value)
    if value is None or value == "":
        return jsonable(value if not getattr(field, "null", False) else None)
    return jsonable(field.to_python(value))  # type: ignore[union-attr]


def assign(obj: models.Model, name: str, raw: Any) -> None:
    """Set a non-m2m field from its JSON-safe form."""
    field = obj._meta.get_field(name)
    value = field.to_python(raw) if raw is not None else None  # type: ignore[union-attr]
    if value is None and not getattr(field, "null", False):
        value = ""
    setattr(obj, field.attname, value)  # type: ignore[union-attr]
