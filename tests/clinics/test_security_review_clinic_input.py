"""Security review, what a clinic may submit: inactive clinics, own reviews, bounded input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from clinics.models import ClinicStatus, Condition, ReviewStatus
from clinics.services import clinic_content_update, doctor_propose, review_reply, review_submit
from core.exceptions import DomainError
from tests.conftest import Personas

from .factories import OfferingFactory, ReviewFactory
from .security_review_helpers import propose_price as _propose_price

pytestmark = pytest.mark.django_db


# --- Suspended and rejected clinics ------------------------------------------------------
@pytest.mark.parametrize("status", [ClinicStatus.SUSPENDED, ClinicStatus.REJECTED])
def test_a_suspended_or_rejected_clinics_staff_cannot_edit_propose_or_reply(
    personas: Personas, knee: Condition, status: str
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    review = ReviewFactory.create(clinic=personas.clinic_a, status=ReviewStatus.PUBLISHED)
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(status=status)
    personas.clinic_a.refresh_from_db()
    user = personas.clinic_a_staff

    for call in (
        lambda: clinic_content_update(
            target=personas.clinic_a, changes={"description": "Now open"}, acting_user=user
        ),
        lambda: _propose_price(personas, offering, "9500"),
        lambda: review_reply(review=review, body="Thanks", acting_user=user),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code == "clinic_inactive"
    personas.clinic_a.refresh_from_db()
    assert personas.clinic_a.description != "Now open"


def test_a_suspended_clinics_portal_form_shows_the_refusal(
    client: Client, personas: Personas
) -> None:
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(
        status=ClinicStatus.SUSPENDED
    )
    client.force_login(personas.clinic_a_staff)
    response = client.post(
        reverse("portal:doctor_new", kwargs={"slug": personas.clinic_a.slug}),
        {
            "full_name": "Dr. Late",
            "speciality": "Ortho",
            "licence_number": "L1",
            "display_order": 0,
        },
    )
    assert response.status_code == 200
    assert "suspended or rejected" in response.content.decode()
    assert not personas.clinic_a.doctors.exists()


# --- Reviews ---------------------------------------------------------------------------------
def test_a_clinic_member_cannot_review_their_own_clinic(personas: Personas) -> None:
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(
        status=ClinicStatus.VETTED
    )
    personas.clinic_a.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        review_submit(
            clinic=personas.clinic_a,
            author=personas.clinic_a_staff,
            rating=5,
            body="Best clinic ever",
            author_display_name="Ana",
            acting_user=personas.clinic_a_staff,
            treatment_ref="consultations.treatment:1",
        )
    assert exc.value.code == "not_a_patient"


def test_a_review_body_beyond_5000_characters_is_refused(personas: Personas) -> None:
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(
        status=ClinicStatus.VETTED
    )
    personas.clinic_a.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        review_submit(
            clinic=personas.clinic_a,
            author=personas.alice,
            rating=4,
            body="y" * 5001,
            author_display_name="Alice",
            acting_user=personas.alice,
        )
    assert "body" in exc.value.message_dict


# --- Unbounded input ---------------------------------------------------------------------
@pytest.mark.parametrize("field", ["summary", "included"])
def test_offering_free_text_is_bounded(personas: Personas, knee: Condition, field: str) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    with pytest.raises(ValidationError):
        clinic_content_update(
            target=offering, changes={field: "x" * 200_000}, acting_user=personas.clinic_a_staff
        )


def test_clinic_and_doctor_free_text_is_bounded(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        clinic_content_update(
            target=personas.clinic_a,
            changes={"description": "x" * 200_000},
            acting_user=personas.clinic_a_staff,
        )
    with pytest.raises(ValidationError):
        doctor_propose(
            clinic=personas.clinic_a,
            acting_user=personas.clinic_a_staff,
            data={
                "full_name": "Dr. Long",
                "speciality": "Ortho",
                "licence_number": "L2",
                "bio": "x" * 200_000,
            },
        )


def test_a_price_beyond_the_usd_cap_is_refused(personas: Personas, knee: Condition) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    with pytest.raises(ValidationError) as exc:
        _propose_price(personas, offering, "9999999999")
    assert "price_max" in exc.value.message_dict
