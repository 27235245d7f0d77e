"""Change requests, the staff side: approving or rejecting what a clinic proposed.

Split from ``changes`` (the clinic's submitting side) so each module has one
job; both write the target through the helpers in ``_change_targets``.
"""

from __future__ import annotations

from django.db import transaction
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
    _vetted_snapshot,
    refresh_usd,
)
from ._common import clinic_of, current_value, refuse_fields, require_independent_staff
from .diff import change_request_fingerprint


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


__all__ = ["change_request_approve", "change_request_reject"]
