"""Change requests: clinic edits to vetted facts wait for staff; cosmetic edits go live."""

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
from core.notifications.services import notify

from ..models import (
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    Clinic,
    Condition,
    Doctor,
    Offering,
    OfferingStatus,
)
from ..money import apply_usd_prices
from ..public_cache import public_pages_changed
from ._common import (
    assign,
    clinic_of,
    current_value,
    is_staff,
    normalise,
    refuse_fields,
    require_active_member_or_staff,
    require_independent_staff,
)
from .diff import change_request_fingerprint

EDITABLE_MODELS: tuple[type[models.Model], ...] = (Clinic, Offering, Doctor)
PRICE_FIELDS = frozenset({"price_min", "price_max", "price_currency"})


@dataclass(frozen=True)
class ContentUpdateResult:
    applied: list[str]
    change_request: ChangeRequest | None


def _check_target(target: models.Model) -> None:
    if not isinstance(target, EDITABLE_MODELS) or target.pk is None:
        raise DomainError(_("This item cannot be changed here."), code="invalid_target")


def _is_unpublished_new(target: models.Model) -> bool:
    """A clinic's own new item still awaiting approval: edits apply to it directly."""
    if isinstance(target, Offering):
        return target.status == OfferingStatus.PENDING
    if isinstance(target, Doctor):
        return not target.is_active and target.verified_at is None
    return False


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


def _vetted_snapshot(target: models.Model) -> dict[str, Any]:
    fields: frozenset[str] = target.VETTED_FACT_FIELDS  # type: ignore[attr-defined]
    return {name: current_value(target, name) for name in sorted(fields)}


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


def _target_label(target: models.Model) -> str:
    return f"{target._meta.label_lower}:{target.pk}"


def _lock(target: models.Model) -> models.Model:
    return type(target)._default_manager.select_for_update().get(pk=target.pk)


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


def _decide(cr: ChangeRequest, status: str) -> ChangeRequest:
    locked = ChangeRequest.objects.select_for_update().get(pk=cr.pk)
    if not locked.can_transition_to(status):
        raise DomainError(
            _("This change request was already decided (%(status)s).")
            % {"status": locked.get_status_display()},
            code="already_decided",
        )
    return locked


@transaction.atomic
def change_request_approve(
    *,
    change_request: ChangeRequest,
    acting_user: User | None,
    note: str = "",
    reviewed: str | None = None,
    request: HttpRequest | None = None,
) -> ChangeRequest:
    """Apply a pending change request to its target (staff only). Side effects: audit row.

    UPDATE: the proposed values are written, validated by the model, and the USD
    equivalents recomputed. CREATE: the new offering goes live / the new doctor
    joins the published team.

    ``reviewed`` is the ``change_request_fingerprint`` of the diff the approver
    saw (the change page posts it): if the proposal or a published value changed
    since, nothing is applied. Without it (the bulk action, which shows no diff)
    a request whose published values changed since it was proposed is refused:
    approving must never silently overwrite a newer edit. Only vetted-fact fields
    of the target's model, on the request's own clinic, are ever applied.
    """
    require_independent_staff(acting_user, change_request.clinic_id)
    # Lock order: target, then request (as change_request_submit does).
    target = change_request.target
    if target is None:
        raise DomainError(_("The item this request changes no longer exists."), code="gone")
    target = _lock(target)
    cr = _decide(change_request, ChangeRequestStatus.APPROVED)
    if (cr.target_type_id, cr.target_id) != (change_request.target_type_id, target.pk):
        raise DomainError(_("This item cannot be changed here."), code="invalid_target")
    _check_target(target)
    if clinic_of(target).pk != cr.clinic_id:
        raise DomainError(_("This item belongs to another clinic."), code="wrong_clinic")
    refuse_fields(type(target), set(cr.changes), target.VETTED_FACT_FIELDS)  # type: ignore[attr-defined]
    if (
        cr.kind == ChangeRequestKind.CREATE
        and isinstance(target, Offering)
        and target.status == OfferingStatus.WITHDRAWN
    ):
        # The clinic took its proposal back while it waited: approving must not publish it.
        raise DomainError(_("The item this request changes no longer exists."), code="withdrawn")
    if reviewed is not None and reviewed != change_request_fingerprint(cr, target):
        raise DomainError(
            _(
                "This change request or the published values changed after you opened it. "
                "Review the changes again before deciding."
            ),
            code="changed_since_reviewed",
        )
    stale: list[str] = []
    if cr.kind == ChangeRequestKind.CREATE:
        # The request holds the new item's facts as submitted (amendments refresh it).
        stale = sorted(n for n, v in cr.changes.items() if current_value(target, n) != v)
    else:
        stale = sorted(
            name for name, was in cr.original.items() if current_value(target, name) != was
        )
    if stale and reviewed is None:
        raise DomainError(
            _(
                "Published values changed after this was proposed: open the request and "
                "review the changes before approving."
            ),
            code="stale",
        )
    if cr.kind == ChangeRequestKind.CREATE:
        if isinstance(target, Offering):
            target.status = OfferingStatus.LIVE
            refresh_usd(target)
            target.full_clean()
            target.save()
        elif isinstance(target, Doctor):
            target.is_active = True
            target.verified_at = timezone.now()
            target.verified_by = acting_user
            target.full_clean()
            target.save()
        cr.changes = _vetted_snapshot(target)
    else:
        _apply(target, cr.changes)
    cr.status = ChangeRequestStatus.APPROVED
    cr.decided_at = timezone.now()
    cr.decided_by = acting_user
    cr.decision_note = note[:500]
    cr.full_clean()
    cr.save()
    public_pages_changed()
    audit_event_record(
        action="clinics.change_request.approved",
        acting_user=acting_user,
        target=cr,
        request=request,
        data={
            "clinic": cr.clinic_id,
            "kind": cr.kind,
            "target": _target_label(target),
            "fields": sorted(cr.changes),
            "changed_since_proposed": stale,
        },
    )
    _notify_decision(cr)
    return cr


@transaction.atomic
def change_request_reject(
    *,
    change_request: ChangeRequest,
    acting_user: User | None,
    note: str,
    request: HttpRequest | None = None,
) -> ChangeRequest:
    """Reject a pending change request (staff only); nothing is applied. Side effects: audit row."""
    require_independent_staff(acting_user, change_request.clinic_id)
    if not note.strip():
        raise DomainError(
            _("Say why the change is rejected: the clinic sees this note."), code="note_required"
        )
    cr = _decide(change_request, ChangeRequestStatus.REJECTED)
    cr.status = ChangeRequestStatus.REJECTED
    cr.decided_at = timezone.now()
    cr.decided_by = acting_user
    cr.decision_note = note.strip()[:500]
    cr.full_clean()
    cr.save()
    audit_event_record(
        action="clinics.change_request.rejected",
        acting_user=acting_user,
        target=cr,
        request=request,
        data={"clinic": cr.clinic_id, "kind": cr.kind, "fields": sorted(cr.changes)},
    )
    _notify_decision(cr)
    return cr


def _notify_decision(cr: ChangeRequest) -> None:
    """Queue the decision e-mail to the clinic user who asked (in the deciding transaction)."""
    if cr.submitted_by_id is not None:
        notify(
            kind="clinics.change_decided",
            dedupe_key=f"clinics.change_decided:{cr.pk}",
            about=cr,
            to=cr.submitted_by,
        )


__all__ = [
    "ContentUpdateResult",
    "change_request_approve",
    "change_request_reject",
    "change_request_submit",
    "clinic_content_update",
    "clinic_cosmetic_update",
    "create_request_for_new",
    "is_staff",
    "refresh_usd",
]
