"""The clinic portal's edits: cosmetic text goes live at once, vetted facts wait for staff.

Covers the profile, offerings (edit, new, withdraw), the team (propose, remove) and replies
to reviews.
"""

from __future__ import annotations

from typing import cast

import pytest
from django.test import Client

from clinics.models import (
    ChangeRequest,
    ChangeRequestStatus,
    Clinic,
    Doctor,
    Offering,
    OfferingStatus,
    Review,
    ReviewStatus,
)
from clinics.services import change_request_approve
from core.models import AuditEvent
from tests.conftest import Personas

from .factories import ReviewFactory
from .portal_helpers import doctor_post, offering_post, profile_post
from .web_helpers import login

pytestmark = pytest.mark.django_db


# --- Edits: cosmetic live, vetted facts pending ---------------------------------------------------
def test_a_price_edit_waits_for_staff_and_shows_as_pending(client: Client, world: Personas) -> None:
    """
    GIVEN clinic A's published offering at USD 6,000-9,000
    WHEN A's staff change the upper price to 12,000
    THEN a pending change request appears in the portal, the public profile keeps 9,000,
         and once staff approve it the public profile shows 12,000
    """
    a = world.extra["Alfa"]
    ChangeRequest.objects.filter(pk=a["change"].pk).delete()
    slug = world.clinic_a.slug
    login(client, world.clinic_a_staff)
    response = client.post(
        f"/portal/{slug}/offerings/{a['offering'].pk}/",
        offering_post(a["offering"], price_max="12000"),
        follow=True,
    )
    body = response.content.decode()
    assert "Sent to our staff for review: Price up to." in body
    assert 'id="pending-change"' in body and "12000" in body
    change = ChangeRequest.objects.get(clinic=world.clinic_a, status=ChangeRequestStatus.PENDING)
    assert change.changes == {"price_max": "12000"}
    changes_page = client.get(f"/portal/{slug}/changes/").content.decode()
    assert "Awaiting staff" in changes_page
    public = Client().get(f"/clinics/{slug}/").content.decode()
    assert "USD 6,000 - 9,000" in public and "12,000" not in public

    change_request_approve(change_request=change, acting_user=world.concierge)
    public = Client().get(f"/clinics/{slug}/").content.decode()
    assert "USD 6,000 - 12,000" in public
    assert "Approved and applied" in client.get(f"/portal/{slug}/changes/").content.decode()


def test_cosmetic_text_goes_live_at_once(client: Client, world: Personas) -> None:
    slug = world.clinic_a.slug
    login(client, world.clinic_a_staff)
    before = ChangeRequest.objects.count()
    response = client.post(
        f"/portal/{slug}/profile/",
        profile_post(
            world.clinic_a,
            description="Now with a new MRI suite.",
            website="https://alfa.example",
        ),
    )
    assert response.status_code == 302
    assert ChangeRequest.objects.count() == before
    assert "Now with a new MRI suite." in Client().get(f"/clinics/{slug}/").content.decode()
    assert AuditEvent.objects.filter(action="clinics.content.updated").exists()


def test_a_mixed_profile_edit_publishes_text_and_queues_the_name(
    client: Client, world: Personas
) -> None:
    slug = world.clinic_a.slug
    login(client, world.clinic_a_staff)
    response = client.post(
        f"/portal/{slug}/profile/",
        profile_post(
            world.clinic_a,
            description="Fresh description.",
            name="Clínica Alfa Premium",
        ),
        follow=True,
    )
    body = response.content.decode()
    assert "Published now: Description." in body
    assert "Sent to our staff for review: Name." in body
    clinic = Clinic.objects.get(pk=world.clinic_a.pk)
    assert clinic.name == "Clínica Alfa" and clinic.description == "Fresh description."
    assert ChangeRequest.objects.get(
        target_type__model="clinic", target_id=clinic.pk, status="pending"
    ).changes == {"name": "Clínica Alfa Premium"}


def test_saving_an_unchanged_form_says_nothing_changed(client: Client, world: Personas) -> None:
    a = world.extra["Alfa"]
    login(client, world.clinic_a_staff)
    response = client.post(
        f"/portal/{world.clinic_a.slug}/offerings/{a['offering'].pk}/",
        offering_post(a["offering"]),
        follow=True,
    )
    assert "Nothing changed." in response.content.decode()


def test_an_invalid_offering_edit_shows_errors_and_queues_nothing(
    client: Client, world: Personas
) -> None:
    a = world.extra["Alfa"]
    login(client, world.clinic_a_staff)
    response = client.post(
        f"/portal/{world.clinic_a.slug}/offerings/{a['offering'].pk}/",
        offering_post(
            a["offering"], price_min="5000", price_max="100", cell_count_millions="", volume_ml=""
        ),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The upper price must not be below the lower price." in body
    assert ChangeRequest.objects.filter(clinic=world.clinic_a).count() == 1  # the fixture's


def test_a_new_offering_waits_for_staff_and_is_not_public(client: Client, world: Personas) -> None:
    a = world.extra["Alfa"]
    slug = world.clinic_a.slug
    login(client, world.clinic_a_staff)
    response = client.post(
        f"/portal/{slug}/offerings/new/",
        offering_post(
            a["offering"],
            title="Hair restoration PRP-free",
            price_min="3000",
            price_max="4000",
        ),
        follow=True,
    )
    assert response.status_code == 200
    offering = Offering.objects.get(title="Hair restoration PRP-free")
    assert offering.clinic == world.clinic_a and offering.status == OfferingStatus.PENDING
    assert ChangeRequest.objects.filter(
        target_type__model="offering", target_id=offering.pk, kind="create"
    ).exists()
    assert "Hair restoration PRP-free" not in Client().get(f"/clinics/{slug}/").content.decode()


def test_withdrawing_an_offering_takes_it_off_the_profile_at_once(
    client: Client, world: Personas
) -> None:
    a = world.extra["Alfa"]
    slug = world.clinic_a.slug
    login(client, world.clinic_a_staff)
    assert client.get(f"/portal/{slug}/offerings/{a['offering'].pk}/withdraw/").status_code == 405
    client.post(f"/portal/{slug}/offerings/{a['offering'].pk}/withdraw/")
    assert Offering.objects.get(pk=a["offering"].pk).status == OfferingStatus.WITHDRAWN
    assert "Alfa Knee Protocol" not in Client().get(f"/clinics/{slug}/").content.decode()


def test_a_proposed_doctor_waits_for_a_licence_check(client: Client, world: Personas) -> None:
    slug = world.clinic_a.slug
    login(client, world.clinic_a_staff)
    client.post(f"/portal/{slug}/team/new/", doctor_post())
    doctor = Doctor.objects.get(full_name="Dr. New Person")
    assert not doctor.is_active and doctor.verified_at is None
    assert "Dr. New Person" not in Client().get(f"/clinics/{slug}/").content.decode()
    assert (
        "Waiting for our staff to check the licence"
        in client.get(f"/portal/{slug}/team/").content.decode()
    )


def test_removing_a_doctor_is_immediate(client: Client, world: Personas) -> None:
    a = world.extra["Alfa"]
    login(client, world.clinic_a_staff)
    client.post(f"/portal/{world.clinic_a.slug}/team/{a['doctor'].pk}/remove/")
    assert not Doctor.objects.get(pk=a["doctor"].pk).is_active


def test_the_clinic_replies_once_to_a_review(client: Client, world: Personas) -> None:
    a = world.extra["Alfa"]
    slug = world.clinic_a.slug
    login(client, world.clinic_a_staff)
    client.post(f"/portal/{slug}/reviews/{a['review'].pk}/reply/", {"reply_body": "Thank you!"})
    assert Review.objects.get(pk=a["review"].pk).reply_body == "Thank you!"
    response = client.post(
        f"/portal/{slug}/reviews/{a['review'].pk}/reply/", {"reply_body": "Second try"}, follow=True
    )
    assert "already has your reply" in response.content.decode()
    assert Review.objects.get(pk=a["review"].pk).reply_body == "Thank you!"


def test_unpublished_reviews_cannot_be_answered(client: Client, world: Personas) -> None:
    hidden = cast(
        Review,
        ReviewFactory(
            clinic=world.clinic_a,
            status=ReviewStatus.AWAITING_VERIFICATION,
            treatment_verified_at=None,
            body="Not yet verified",
        ),
    )
    login(client, world.clinic_a_staff)
    assert (
        client.get(f"/portal/{world.clinic_a.slug}/reviews/{hidden.pk}/reply/").status_code == 404
    )
