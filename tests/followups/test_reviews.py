"""Reviews follow outcomes: the 1-week and 6-month check-ins invite a verified review."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from clinics.models import Review, ReviewStage, ReviewStatus
from followups.models import CheckIn
from followups.services import checkin_link_issue
from tests.factories import UserFactory

from .factories import scheduled

pytestmark = pytest.mark.django_db

QUIET = {
    f"se_{e}": "0"
    for e in (
        "site_pain",
        "swelling",
        "redness",
        "bruising",
        "fatigue",
        "fever",
        "headache",
        "nausea",
        "rash",
    )
}
REVIEW = {
    "rating": "2",
    "body": "Kind staff, but the knee is no better.",
    "author_display_name": "Ana, 61, Chile",
    "language": "es",
}


def answer(client: Client, check_in: CheckIn) -> None:
    client.post(f"/follow-up/c/{checkin_link_issue(check_in=check_in, notification=None)}/")
    client.post("/follow-up/check-in/1/", {"pain_now": "5", "pgic": "4", "function_limit": "5"})
    client.post("/follow-up/check-in/2/", QUIET)
    client.post("/follow-up/check-in/3/", {"care_visit": "none"})


@pytest.fixture
def schedule(personas: Any) -> Any:
    return scheduled(personas.clinic_a, treated_on=timezone.localdate() - dt.timedelta(days=200))


def test_the_one_week_check_in_invites_an_experience_review_published_as_verified(
    client: Client, schedule: Any
) -> None:
    answer(client, schedule.check_ins.get(time_point="w1"))
    assert b"Write a review" in client.get("/follow-up/check-in/done/").content
    response = client.post("/follow-up/check-in/review/", REVIEW)
    assert b"your review is published" in response.content
    review = Review.objects.get()
    assert (review.stage, review.status, review.rating) == (
        ReviewStage.EXPERIENCE,
        ReviewStatus.PUBLISHED,
        2,
    )
    assert review.treatment_verified_at is not None and review.language == "es"
    assert (
        review.author
        == schedule.case.patient.__class__.objects.get(pk=schedule.case.patient.pk).user
    )
    # Bad or good, it is on the clinic's public page.
    page = client.get(f"/clinics/{schedule.clinic.slug}/").content.decode()
    assert "the knee is no better" in page


def test_the_six_month_check_in_invites_an_outcome_review_beside_the_first(
    client: Client, schedule: Any
) -> None:
    answer(client, schedule.check_ins.get(time_point="w1"))
    client.post("/follow-up/check-in/review/", REVIEW)
    later = Client()
    answer(later, schedule.check_ins.get(time_point="m6"))
    later.post("/follow-up/check-in/review/", {**REVIEW, "rating": "4", "body": "Better now."})
    assert sorted(Review.objects.values_list("stage", flat=True)) == ["experience", "outcome"]
    # The same review cannot be written twice.
    again = later.get("/follow-up/check-in/review/")
    assert again.status_code == 404


def test_other_check_ins_invite_no_review(client: Client, schedule: Any) -> None:
    answer(client, schedule.check_ins.get(time_point="m1"))
    assert b"Write a review" not in client.get("/follow-up/check-in/done/").content
    assert client.post("/follow-up/check-in/review/", REVIEW).status_code == 404
    assert not Review.objects.exists()


def test_a_review_is_never_attached_to_a_staff_account_with_the_same_address(
    client: Client, schedule: Any
) -> None:
    patient = schedule.case.patient
    UserFactory.create(email=patient.email, is_staff=True)
    answer(client, schedule.check_ins.get(time_point="w1"))
    response = client.post("/follow-up/check-in/review/", REVIEW)
    assert b"We cannot attach a review" in response.content
    assert not Review.objects.exists()


def test_without_the_check_in_session_there_is_no_review_page(client: Client) -> None:
    assert client.get("/follow-up/check-in/review/").status_code == 404
