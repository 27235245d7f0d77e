"""Patient reviews: submitted by treated patients, published good or bad."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User

from ..models import Clinic, ModerationReason, Review, ReviewStage, ReviewStatus
from ..public_cache import public_pages_changed
from ..review_verification import treatment_verified
from ._common import (
    is_member,
    is_staff,
    require_active_member_or_staff,
    require_independent_staff,
)


def _refuse_clinic_insider(clinic: Clinic, author: User | None) -> None:
    """A clinic's own staff are not its patients: their review never counts."""
    if author is not None and is_member(author, clinic):
        raise DomainError(_("Staff of a clinic cannot review it."), code="not_a_patient")


@transaction.atomic
def review_submit(
    *,
    clinic: Clinic,
    author: User,
    rating: int,
    body: str,
    author_display_name: str,
    acting_user: User | None,
    treatment_ref: str = "",
    request: HttpRequest | None = None,
    stage: str = ReviewStage.EXPERIENCE,
    language: str = "",
) -> Review:
    """A patient's review (of the experience, or months later of the outcome).

    Published at once when a registered verifier confirms that
    ``treatment_ref`` is a completed treatment of ``author`` at ``clinic``
    (``clinics.review_verification``); otherwise it waits for staff to confirm the
    treatment. The rating never affects whether it is published. Side effects: audit row.
    """
    if acting_user is None or (acting_user.pk != author.pk and not is_staff(acting_user)):
        raise DomainError(_("Only the patient can submit their review."), code="forbidden")
    if not clinic.is_public:
        raise DomainError(_("This clinic is not open for reviews."), code="clinic_not_public")
    _refuse_clinic_insider(clinic, author)
    now = timezone.now()
    # An unproven reference is not kept: staff confirm such a review by hand.
    verified = treatment_verified(clinic=clinic, author=author, treatment_ref=treatment_ref)
    review = Review(
        clinic=clinic,
        author=author,
        rating=rating,
        body=body.strip(),
        author_display_name=author_display_name.strip(),
        treatment_ref=treatment_ref if verified else "",
        stage=stage,
    )
    if language:
        review.language = language
    if verified:
        review.treatment_verified_at = now
        review.status = ReviewStatus.PUBLISHED
    review.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        raise DomainError(
            _("You have already reviewed this clinic."), code="duplicate_review"
        ) from None
    public_pages_changed()
    audit_event_record(
        action="clinics.review.submitted",
        acting_user=acting_user,
        target=review,
        request=request,
        # The audit table is append-only: a patient author is labelled by role, never by
        # their e-mail address, so an erasure leaves nothing of theirs behind in it.
        actor_label="patient" if acting_user.pk == author.pk else None,
        data={"clinic": clinic.pk, "status": review.status, "stage": review.stage},
    )
    return review


@transaction.atomic
def review_verify_treatment(
    *,
    review: Review,
    acting_user: User | None,
    treatment_ref: str = "",
    request: HttpRequest | None = None,
) -> Review:
    """Staff confirmed the author was treated at this clinic: publish. Side effects: audit row."""
    require_independent_staff(acting_user, review.clinic_id)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewStatus.AWAITING_VERIFICATION:
        raise DomainError(_("This review is not awaiting verification."), code="not_awaiting")
    _refuse_clinic_insider(review.clinic, review.author)
    review.treatment_verified_at = timezone.now()
    review.treatment_verified_by = acting_user
    if treatment_ref:
        review.treatment_ref = treatment_ref
    review.status = ReviewStatus.PUBLISHED
    review.full_clean()
    review.save()
    public_pages_changed()
    audit_event_record(
        action="clinics.review.published",
        acting_user=acting_user,
        target=review,
        request=request,
        data={"clinic": review.clinic_id},
    )
    return review


@transaction.atomic
def review_moderate(
    *,
    review: Review,
    reason: str,
    note: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> Review:
    """Remove a review for abuse, PHI or a non-patient author only, with the reason recorded.

    A negative opinion is not a reason. Side effects: audit row (reason, never the text).
    """
    require_independent_staff(acting_user, review.clinic_id)
    if reason not in ModerationReason.values:
        raise DomainError(
            _(
                "Reviews are removed only for abuse, personal health information, or an author "
                "who was not a patient."
            ),
            code="invalid_reason",
        )
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.status == ReviewStatus.REMOVED:
        raise DomainError(_("This review was already removed."), code="already_removed")
    previous = review.status
    review.status = ReviewStatus.REMOVED
    review.moderation_reason = reason
    review.moderation_note = note.strip()[:300]
    review.moderated_at = timezone.now()
    review.moderated_by = acting_user
    review.full_clean()
    review.save()
    public_pages_changed()
    audit_event_record(
        action="clinics.review.moderated",
        acting_user=acting_user,
        target=review,
        request=request,
        data={"clinic": review.clinic_id, "reason": reason, "from": previous},
    )
    return review


@transaction.atomic
def review_reply(
    *, review: Review, body: str, acting_user: User | None, request: HttpRequest | None = None
) -> Review:
    """The clinic's one public reply to a published review. Side effects: audit row."""
    require_active_member_or_staff(acting_user, review.clinic)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewStatus.PUBLISHED:
        raise DomainError(_("Only a published review can be answered."), code="not_published")
    if review.reply_body:
        raise DomainError(_("This review already has the clinic's reply."), code="already_replied")
    if not body.strip():
        raise DomainError(_("Write a reply first."), code="empty_reply")
    review.reply_body = body.strip()
    review.replied_at = timezone.now()
    review.replied_by = acting_user
    review.full_clean()
    review.save()
    public_pages_changed()
    audit_event_record(
        action="clinics.review.replied",
        acting_user=acting_user,
        target=review,
        request=request,
        data={"clinic": review.clinic_id},
    )
    return review
