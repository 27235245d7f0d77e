"""Demo vetting reviews, patient reviews and a pending change request.

These are the staff-facing queues the demo must show filled (a clinic under
review, reviews awaiting verification, a change waiting for a decision); they
are built after the clinics exist, so they sit apart from the clinic builders.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.demo import ensure_user
from core.models import Role, User

from .demo_catalogue import clinic_slug
from .demo_data import REVIEWS
from .models import (
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    Clinic,
    Offering,
    Review,
    ReviewStatus,
    VettingDecision,
    VettingReview,
)


def seed_vetting(clinic: Clinic, staff: User, *, decided: bool) -> None:
    if clinic.vetting_reviews.exists():
        return
    checks = dict.fromkeys(VettingReview.CHECKLIST, decided)
    if not decided:
        checks.update(medical_team_checked=True, treatments_checked=True)
    VettingReview.objects.create(
        clinic=clinic,
        reviewer=staff,
        **checks,
        notes="Video call with the medical director; lab visited by a partner."
        if decided
        else "Waiting for INVIMA registration and the donor-screening protocol.",
        decision=VettingDecision.VETTED if decided else "",
        decided_at=timezone.now() - dt.timedelta(days=90) if decided else None,
        decided_by=staff if decided else None,
    )


def seed_reviews(staff: User) -> None:
    for index, (key, rating, shown_as, body, reply) in enumerate(REVIEWS):
        patient = ensure_user(
            f"patient{index + 1}@patients.example", full_name=shown_as, role=Role.PATIENT
        )
        clinic = Clinic.objects.get(slug=clinic_slug(key))
        Review.objects.update_or_create(
            clinic=clinic,
            author=patient,
            defaults={
                "rating": rating,
                "author_display_name": shown_as,
                "body": body,
                "status": ReviewStatus.PUBLISHED,
                "treatment_verified_by": staff,
                "treatment_verified_at": timezone.now() - dt.timedelta(days=20 + index),
                "reply_body": reply,
                "replied_at": timezone.now() - dt.timedelta(days=10) if reply else None,
            },
        )
    waiting = ensure_user("patient-new@patients.example", full_name="Dana", role=Role.PATIENT)
    Review.objects.get_or_create(
        clinic=Clinic.objects.get(slug=clinic_slug("tokyo")),
        author=waiting,
        defaults={
            "rating": 5,
            "author_display_name": "Dana, 50, Germany",
            "body": "Very thorough.",
            "status": ReviewStatus.AWAITING_VERIFICATION,
        },
    )


def seed_pending_change(offering: Offering, user: User) -> None:
    if ChangeRequest.objects.filter(
        clinic=offering.clinic, status=ChangeRequestStatus.PENDING
    ).exists():
        return
    ChangeRequest.objects.create(
        clinic=offering.clinic,
        kind=ChangeRequestKind.UPDATE,
        target=offering,
        changes={"price_max": "9500", "cell_count_millions": "75"},
        original={
            "price_max": str(offering.price_max.normalize()),
            "cell_count_millions": str(offering.cell_count_millions),
        },
        submitted_by=user,
    )
