"""Vetting decisions move the clinic; reviews are published good or bad."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from clinics.models import (
    Clinic,
    ClinicStatus,
    ModerationReason,
    ReviewQueueReason,
    ReviewStatus,
    VettingDecision,
    VettingReview,
)
from clinics.services import (
    clinic_review_queue_add,
    clinic_status_change,
    review_moderate,
    review_reply,
    review_submit,
    review_verify_treatment,
    vetting_review_decide,
    vetting_review_open,
)
from core.exceptions import DomainError
from core.models import AuditEvent
from tests.conftest import Personas
from tests.factories import ClinicFactory

from .factories import ReviewFactory

pytestmark = pytest.mark.django_db


def _tick(review: VettingReview) -> None:
    VettingReview.objects.filter(pk=review.pk).update(
        **dict.fromkeys(VettingReview.CHECKLIST, True)
    )
    review.refresh_from_db()


class TestVetting:
    def test_an_applied_clinic_is_published_only_after_a_full_checklist(
        self, personas: Personas
    ) -> None:
        """
        GIVEN a clinic that applied
        WHEN staff open a review, decide 'vetted' too early, then after ticking every check
        THEN the first decision is refused and the second publishes the clinic, with history
        """
        clinic = ClinicFactory.create(status=ClinicStatus.APPLIED)
        review = vetting_review_open(clinic=clinic, acting_user=personas.concierge)
        clinic.refresh_from_db()
        assert clinic.status == ClinicStatus.UNDER_REVIEW and not clinic.is_public
        with pytest.raises(DomainError, match="checklist"):
            vetting_review_decide(
                review=review, decision=VettingDecision.VETTED, acting_user=personas.concierge
            )
        _tick(review)
        vetting_review_decide(
            review=review,
            decision=VettingDecision.VETTED,
            acting_user=personas.concierge,
            notes="Spoke to the lab director",
        )
        clinic.refresh_from_db()
        assert clinic.status == ClinicStatus.VETTED and clinic.is_public
        assert list(clinic.history.values_list("status", flat=True))[:2] == [
            ClinicStatus.VETTED,
            ClinicStatus.UNDER_REVIEW,
        ]
        assert AuditEvent.objects.filter(action="clinics.vetting_review.decided").exists()

    def test_a_decision_clears_the_review_queue(self, personas: Personas) -> None:
        clinic = personas.clinic_a
        clinic_review_queue_add(clinic=clinic, acting_user=personas.concierge)
        review = vetting_review_open(clinic=clinic, acting_user=personas.concierge)
        clinic.refresh_from_db()
        assert clinic.review_reason == ReviewQueueReason.STAFF
        assert clinic.status == ClinicStatus.VETTED  # stays public while re-checked
        _tick(review)
        vetting_review_decide(
            review=review, decision=VettingDecision.VETTED, acting_user=personas.concierge
        )
        clinic.refresh_from_db()
        assert clinic.review_requested_at is None

    def test_rejecting_a_vetted_clinic_unpublishes_it(self, personas: Personas) -> None:
        review = vetting_review_open(clinic=personas.clinic_b, acting_user=personas.concierge)
        vetting_review_decide(
            review=review, decision=VettingDecision.REJECTED, acting_user=personas.concierge
        )
        assert Clinic.objects.get(pk=personas.clinic_b.pk).status == ClinicStatus.REJECTED
        assert not Clinic.objects.public().filter(pk=personas.clinic_b.pk).exists()

    def test_publishing_never_bypasses_the_review(self, personas: Personas) -> None:
        clinic = ClinicFactory.create(status=ClinicStatus.UNDER_REVIEW)
        with pytest.raises(DomainError):
            clinic_status_change(
                clinic=clinic, new_status=ClinicStatus.VETTED, acting_user=personas.concierge
            )

    def test_the_transition_table_is_enforced(self, personas: Personas) -> None:
        clinic = ClinicFactory.create(status=ClinicStatus.APPLIED)
        with pytest.raises(DomainError):
            clinic_status_change(
                clinic=clinic, new_status=ClinicStatus.SUSPENDED, acting_user=personas.concierge
            )

    def test_clinic_staff_cannot_change_a_status_or_vet(self, personas: Personas) -> None:
        with pytest.raises(PermissionDenied):
            clinic_status_change(
                clinic=personas.clinic_a,
                new_status=ClinicStatus.SUSPENDED,
                acting_user=personas.clinic_a_staff,
            )
        with pytest.raises(PermissionDenied):
            vetting_review_open(clinic=personas.clinic_a, acting_user=personas.clinic_a_staff)


class TestReviews:
    def test_a_bad_review_is_published_like_a_good_one(self, personas: Personas) -> None:
        review = review_submit(
            clinic=personas.clinic_a,
            author=personas.alice,
            rating=1,
            body="Infection after the injection; slow answers.",
            author_display_name="Alice, 60",
            acting_user=personas.alice,
        )
        assert review.status == ReviewStatus.AWAITING_VERIFICATION
        review_verify_treatment(review=review, acting_user=personas.concierge)
        review.refresh_from_db()
        assert review.status == ReviewStatus.PUBLISHED

    def test_a_review_is_published_at_once_only_when_a_verifier_vouches_for_it(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The real verifier (consultations' treatment records) is tested with that app."""
        from clinics import review_verification

        monkeypatch.setattr(
            review_verification,
            "_VERIFIERS",
            {
                "test": lambda clinic, author, ref: ref == "ok:17" and author == personas.bob,
            },
        )
        review = review_submit(
            clinic=personas.clinic_a,
            author=personas.bob,
            rating=4,
            body="Good.",
            author_display_name="Bob",
            acting_user=personas.bob,
            treatment_ref="ok:17",
        )
        assert review.is_public and review.treatment_ref == "ok:17"
        unproven = review_submit(
            clinic=personas.clinic_a,
            author=personas.alice,
            rating=4,
            body="Good.",
            author_display_name="Alice",
            acting_user=personas.alice,
            treatment_ref="ok:17",
        )
        assert not unproven.is_public and unproven.treatment_ref == ""

    def test_one_review_per_patient_and_clinic(self, personas: Personas) -> None:
        kwargs = {
            "clinic": personas.clinic_a,
            "author": personas.alice,
            "rating": 5,
            "body": "x",
            "author_display_name": "A",
            "acting_user": personas.alice,
        }
        review_submit(**kwargs)  # type: ignore[arg-type]
        with pytest.raises(DomainError, match="already reviewed"):
            review_submit(**kwargs)  # type: ignore[arg-type]

    def test_nobody_reviews_in_someone_elses_name(self, personas: Personas) -> None:
        with pytest.raises(DomainError):
            review_submit(
                clinic=personas.clinic_a,
                author=personas.alice,
                rating=5,
                body="x",
                author_display_name="A",
                acting_user=personas.clinic_a_staff,
            )

    def test_moderation_needs_one_of_the_allowed_reasons(self, personas: Personas) -> None:
        review = ReviewFactory.create(clinic=personas.clinic_a, rating=1)
        with pytest.raises(DomainError):
            review_moderate(
                review=review, reason="negative", note="", acting_user=personas.concierge
            )
        with pytest.raises(PermissionDenied):
            review_moderate(
                review=review,
                reason=ModerationReason.ABUSE,
                note="",
                acting_user=personas.clinic_a_staff,
            )
        review_moderate(
            review=review,
            reason=ModerationReason.PHI,
            note="Named another patient",
            acting_user=personas.concierge,
        )
        review.refresh_from_db()
        assert review.status == ReviewStatus.REMOVED
        event = AuditEvent.objects.get(action="clinics.review.moderated")
        assert event.data["reason"] == "phi"
        assert "Named" not in str(event.data)

    def test_the_clinic_replies_once_and_only_to_its_own_reviews(self, personas: Personas) -> None:
        review = ReviewFactory.create(clinic=personas.clinic_a, rating=2)
        with pytest.raises(PermissionDenied):
            review_reply(review=review, body="Not ours", acting_user=personas.clinic_b_staff)
        review_reply(
            review=review, body="We are sorry; please call us.", acting_user=personas.clinic_a_staff
        )
        with pytest.raises(DomainError, match="already"):
            review_reply(review=review, body="Again", acting_user=personas.clinic_a_staff)
        review.refresh_from_db()
        assert review.reply_body == "We are sorry; please call us."
