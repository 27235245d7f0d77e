"""Change requests: clinic edits to vetted facts wait for staff; cosmetic edits go live.

The submitting side only; staff decisions live in ``change_decisions`` and the
target helpers both sides share in ``_change_targets``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User

from ..models import (
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    Clinic,
    Doctor,
    Offering,
    OfferingStatus,
)
from ..public_cache import public_pages_changed
from ._change_targets import (
    _apply,
    _check_target,
    _lock,
    _target_label,
    _validate_conditions,
    _vetted_snapshot,
    refresh_usd,
)
from ._common import (
    assign,
    clinic_of,
    current_value,
    normalise,
    refuse_fields,
    require_active_member_or_staff,
)


@dataclass(frozen=True)
class ContentUpdateResult:
    applied: list[str]
    change_request: ChangeRequest | None


def _is_unpublished_new(target: models.Model) -> bool:
    """A clinic's own new item still awaiting approval: edits apply to it directly."""
    if isinstance(target, Offering):
        return target.status == OfferingStatus.PENDING
    if isinstance(target, Doctor):
        return not target.is_active and target.verified_at is None
    return False


def _proposed_changes(target: models.Model, changes: dict[str, Any]) -> dict[str, Any]:
    """Normalise proposed values and drop those equal to what is published."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        try:
            proposed = normalise(target, name, value)
        except ValidationError as exc:
            raise ValidationError({name: exc.messages}) from exc
        if proposed != current_value(target, name):
            out[name] = proposed
    return out


def _validate_on_copy(target: models.Model, changes: dict[str, Any]) -> None:
    """Run the model's validation on a copy with the changes, so bad data never queues."""
    probe = copy.copy(target)
    m2m = [n for n in changes if target._meta.get_field(n).many_to_many]
    for name, raw in changes.items():
        if name not in m2m:
            assign(probe, name, raw)
    if isinstance(probe, Offering):
        refresh_usd(probe)
    for name in m2m:
        _validate_conditions(changes[name])
    probe.full_clean()


def create_request_for_new(
    *,
    clinic: Clinic,
    target: models.Model,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> ChangeRequest:
    """Queue a clinic's new offering or doctor for approval (used by the create services)."""
    cr = ChangeRequest(
        clinic=clinic,
        kind=ChangeRequestKind.CREATE,
        target=target,
        changes=_vetted_snapshot(target),
        original={},
        submitted_by=acting_user,
    )
    cr.full_clean()
    cr.save()
    audit_event_record(
        action="clinics.change_request.submitted",
        acting_user=acting_user,
        target=cr,
        request=request,
        data={
            "clinic": clinic.pk,
            "kind": cr.kind,
            "target": _target_label(target),
            "fields": sorted(cr.changes),
        },
    )
    return cr


@transaction.atomic
def change_request_submit(
    *,
    clinic: Clinic,
    target: models.Model,
    changes: dict[str, Any],
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> ChangeRequest:
    """Propose new values for vetted facts of ``target``; nothing goes live until approved.

    Refuses fields that are not vetted facts of the target's model (status,
    verification, ratings, clinic...). A pending request for the same target is
    merged into the new one and marked superseded. For a clinic's own new item
    that awaits approval, the values apply to it directly and its CREATE request
    is refreshed. Side effects: audit row.
    """
    _check_target(target)
    if clinic_of(target).pk != clinic.pk:
        raise DomainError(_("This item belongs to another clinic."), code="wrong_clinic")
    require_active_member_or_staff(acting_user, clinic)
    refuse_fields(type(target), set(changes), target.VETTED_FACT_FIELDS)  # type: ignore[attr-defined]
    target = _lock(target)

    pending = (
        ChangeRequest.objects.select_for_update()
        .filter(
            target_type=ContentType.objects.get_for_model(target),
            target_id=target.pk,
            status=ChangeRequestStatus.PENDING,
        )
        .first()
    )
    if (
        pending is not None
        and pending.kind == ChangeRequestKind.CREATE
        and _is_unpublished_new(target)
    ):
        proposed = _proposed_changes(target, changes)
        _apply(target, proposed)
        pending.changes = _vetted_snapshot(target)
        pending.save(update_fields=["changes", "updated_at"])
        audit_event_record(
            action="clinics.change_request.amended",
            acting_user=acting_user,
            target=pending,
            request=request,
            data={"clinic": clinic.pk, "fields": sorted(proposed)},
        )
        return pending

    proposed = _proposed_changes(target, changes)
    merged = {**(pending.changes if pending else {}), **proposed}
    # Drop earlier proposals the clinic has since set back to the published value.
    merged = {k: v for k, v in merged.items() if v != current_value(target, k)}
    if not merged:
        raise DomainError(
            _("Nothing to change: these values are already published."), code="no_change"
        )
    _validate_on_copy(target, merged)

    original = {name: current_value(target, name) for name in merged}
    if pending is not None:
        pending.status = ChangeRequestStatus.SUPERSEDED
        pending.decided_at = timezone.now()
        pending.save(update_fields=["status", "decided_at", "updated_at"])
    cr = ChangeRequest(
        clinic=clinic,
        kind=ChangeRequestKind.UPDATE,
        target=target,
        changes=merged,
        original=original,
        submitted_by=acting_user,
    )
    cr.full_clean()
    cr.save()
    if pending is not None:
        pending.superseded_by = cr
        pending.save(update_fields=["superseded_by"])
    audit_event_record(
        action="clinics.change_request.submitted",
        acting_user=acting_user,
        target=cr,
        request=request,
        data={
            "clinic": clinic.pk,
            "kind": cr.kind,
            "target": _target_label(target),
            "fields": sorted(merged),
            "supersedes": pending.pk if pending else None,
        },
    )
    return cr


@transaction.atomic
def clinic_cosmetic_update(
    *,
    target: models.Model,
    changes: dict[str, Any],
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Apply presentation-only edits at once; refuses any other field. Side effects: audit row."""
    _check_target(target)
    clinic = clinic_of(target)
    require_active_member_or_staff(acting_user, clinic)
    refuse_fields(type(target), set(changes), target.COSMETIC_FIELDS)  # type: ignore[attr-defined]
    target = _lock(target)
    proposed = _proposed_changes(target, changes)
    if not proposed:
        return []
    _apply(target, proposed)
    public_pages_changed()
    audit_event_record(
        action="clinics.content.updated",
        acting_user=acting_user,
        target=target,
        request=request,
        data={"clinic": clinic.pk, "fields": sorted(proposed)},
    )
    return sorted(proposed)


@transaction.atomic
def clinic_content_update(
    *,
    target: models.Model,
    changes: dict[str, Any],
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> ContentUpdateResult:
    """One portal form save: cosmetic fields live at once, vetted facts to a change request.

    Any field that is neither (status, verified_by, clinic, rating...) is refused.
    """
    _check_target(target)
    cosmetic: frozenset[str] = target.COSMETIC_FIELDS  # type: ignore[attr-defined]
    vetted: frozenset[str] = target.VETTED_FACT_FIELDS  # type: ignore[attr-defined]
    refuse_fields(type(target), set(changes), cosmetic | vetted)
    clinic = clinic_of(target)
    require_active_member_or_staff(acting_user, clinic)
    live = {k: v for k, v in changes.items() if k in cosmetic}
    queued = {k: v for k, v in changes.items() if k in vetted}
    applied = (
        clinic_cosmetic_update(
            target=target, changes=live, acting_user=acting_user, request=request
        )
        if live
        else []
    )
    cr = None
    if queued:
        target.refresh_from_db()
        locked_target = _lock(target)
        # A form posts every field; only values that differ from what is published
        # become a request (a pending one keeps its other proposals: see submit).
        if _proposed_changes(locked_target, queued):
            cr = change_request_submit(
                clinic=clinic,
                target=locked_target,
                changes=queued,
                acting_user=acting_user,
                request=request,
            )
    return ContentUpdateResult(applied=applied, change_request=cr)


__all__ = [
    "ContentUpdateResult",
    "change_request_submit",
    "clinic_content_update",
    "clinic_cosmetic_update",
    "create_request_for_new",
]
