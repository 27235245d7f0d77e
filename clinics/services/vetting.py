"""Clinic status, vetting reviews and the staff review queue."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User

from ..models import (
    DECISION_TO_STATUS,
    Clinic,
    ClinicStatus,
    ReviewQueueReason,
    VettingDecision,
    VettingReview,
)
from ..public_cache import public_pages_changed
from ._common import require_independent_staff, require_staff
from .credentials import queue_clinic_for_review


def _set_status(clinic: Clinic, new_status: str) -> str:
    if not clinic.can_transition_to(new_status):
        raise DomainError(
            _("A clinic cannot go from %(old)s to %(new)s.")
            % {"old": clinic.get_status_display(), "new": ClinicStatus(new_status).label},
            code="bad_transition",
        )
    previous = str(clinic.status)
    clinic.status = new_status
    clinic.status_changed_at = timezone.now()
    return previous


@transaction.atomic
def clinic_status_change(
    *,
    clinic: Clinic,
    new_status: str,
    acting_user: User | None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Clinic:
    """Move a clinic along its transition table (staff only). Side effects: audit row.

    Publishing (``vetted``) goes through ``vetting_review_decide`` so that it
    always rests on a complete checklist.
    """
    require_staff(acting_user)
    if new_status == ClinicStatus.VETTED:
        raise DomainError(
            _("A clinic is published only by deciding a vetting review."), code="needs_review"
        )
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    previous = _set_status(clinic, new_status)
    clinic.full_clean()
    clinic.save()
    public_pages_changed()
    audit_event_record(
        action="clinics.clinic.status_changed",
        acting_user=acting_user,
        target=clinic,
        request=request,
        data={"from": previous, "to": new_status, "with_note": bool(note)},
    )
    return clinic


@transaction.atomic
def vetting_review_open(
    *, clinic: Clinic, acting_user: User | None, request: HttpRequest | None = None
) -> VettingReview:
    """Start a vetting pass; an applied clinic moves to under review. Side effects: audit row."""
    require_staff(acting_user)
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    open_review = clinic.vetting_reviews.filter(decision="").first()
    if open_review is not None:
        return open_review
    if clinic.status in (ClinicStatus.APPLIED, ClinicStatus.REJECTED, ClinicStatus.SUSPENDED):
        _set_status(clinic, ClinicStatus.UNDER_REVIEW)
        clinic.save()
    review = VettingReview(clinic=clinic, reviewer=acting_user)
    review.full_clean()
    review.save()
    audit_event_record(
        action="clinics.vetting_review.opened",
        acting_user=acting_user,
        target=review,
        request=request,
        data={"clinic": clinic.pk, "clinic_status": clinic.status},
    )
    return review


@transaction.atomic
def vetting_review_decide(
    *,
    review: VettingReview,
    decision: str,
    acting_user: User | None,
    notes: str = "",
    request: HttpRequest | None = None,
) -> VettingReview:
    """Record the decision and move the clinic to match it (staff only).

    ``vetted`` needs every checklist item ticked. A decided review also takes
    the clinic out of the review queue. Side effects: audit row.
    """
    require_independent_staff(acting_user, review.clinic_id)
    review = VettingReview.objects.select_for_update().get(pk=review.pk)
    if review.is_decided:
        raise DomainError(_("This vetting review is already decided."), code="already_decided")
    if decision not in VettingDecision.values:
        raise DomainError(_("Choose a decision from the list."), code="invalid_decision")
    if decision == VettingDecision.VETTED and not review.checklist_complete:
        raise DomainError(
            _("Every checklist item must be ticked before a clinic is vetted. Missing: %(m)s.")
            % {"m": ", ".join(review.missing_checks())},
            code="checklist_incomplete",
        )
    clinic = Clinic.objects.select_for_update().get(pk=review.clinic_id)
    target_status = DECISION_TO_STATUS[decision]
    previous = str(clinic.status)
    if clinic.status != target_status:
        if clinic.status == ClinicStatus.APPLIED:
            _set_status(clinic, ClinicStatus.UNDER_REVIEW)
        if clinic.status == ClinicStatus.VETTED and target_status != ClinicStatus.VETTED:
            # Suspend or reject a published clinic: VETTED -> SUSPENDED (-> REJECTED).
            _set_status(clinic, ClinicStatus.SUSPENDED)
        if clinic.status != target_status:
            _set_status(clinic, target_status)
    clinic.review_requested_at = None
    clinic.review_reason = ""
    clinic.full_clean()
    clinic.save()
    review.decision = decision
    review.decided_at = timezone.now()
    review.decided_by = acting_user
    if notes:
        review.notes = notes
    review.full_clean()
    review.save()
    public_pages_changed()
    audit_event_record(
        action="clinics.vetting_review.decided",
        acting_user=acting_user,
        target=review,
        request=request,
        data={"clinic": clinic.pk, "decision": decision, "from": previous, "to": clinic.status},
    )
    return review


@transaction.atomic
def clinic_review_queue_add(
    *,
    clinic: Clinic,
    reason: str = ReviewQueueReason.STAFF,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> bool:
    """Put a clinic in the staff review queue (staff only); False if it was there already."""
    require_staff(acting_user)
    return queue_clinic_for_review(clinic.pk, reason=reason, acting_user=acting_user, data={})


@transaction.atomic
def clinic_review_queue_clear(
    *, clinic: Clinic, acting_user: User | None, request: HttpRequest | None = None
) -> Clinic:
    """Take a clinic out of the review queue without a new vetting decision (staff only)."""
    require_independent_staff(acting_user, clinic.pk)
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    if clinic.review_requested_at is None:
        return clinic
    reason = clinic.review_reason
    clinic.review_requested_at = None
    clinic.review_reason = ""
    clinic.save()
    audit_event_record(
        action="clinics.clinic.review_cleared",
        acting_user=acting_user,
        target=clinic,
        request=request,
        data={"reason": reason},
    )
    return clinic
