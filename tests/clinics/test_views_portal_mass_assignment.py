"""The clinic portal ignores system fields (status, verifier, rating, clinic...) on every form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from clinics.models import (
    ChangeRequest,
    Clinic,
    ClinicStatus,
    Credential,
    CredentialStatus,
    Doctor,
    Offering,
    OfferingStatus,
    Review,
    ReviewStatus,
)
from tests.conftest import Personas

from .portal_helpers import doctor_post, offering_post, profile_post
from .web_helpers import login

pytestmark = pytest.mark.django_db


# --- Mass assignment ----------------------------------------------------------------------------
SYSTEM_EXTRAS: dict[str, Any] = {
    "status": "vetted",
    "verified_by": "1",
    "verified_at": "2020-01-01T00:00:00Z",
    "rating": "5",
    "is_active": "on",
    "review_requested_at": "",
    "review_reason": "",
    "price_min_usd": "1",
    "price_max_usd": "1",
    "slug": "hijacked-slug",
    "treatment_verified_at": "2020-01-01",
    "moderation_reason": "abuse",
    "uploaded_by": "1",
    "decision_note": "self-approved",
    "status_changed_at": "2000-01-01",
}


def test_mass_assignment_is_ignored_on_every_portal_form(client: Client, world: Personas) -> None:
    """
    GIVEN clinic A's user, and a clinic currently under review
    WHEN every portal form is posted with status, verified_by, rating, clinic and other
         system fields added
    THEN none of them is applied anywhere
    """
    a, b = world.extra["Alfa"], world.extra["Beta"]
    Clinic.objects.filter(pk=world.clinic_a.pk).update(status=ClinicStatus.UNDER_REVIEW)
    clinic = Clinic.objects.get(pk=world.clinic_a.pk)
    slug = clinic.slug
    extras = {
        **SYSTEM_EXTRAS,
        "clinic": world.clinic_b.pk,
        "verified_by": world.concierge.pk,
        "uploaded_by": world.concierge.pk,
    }
    login(client, world.clinic_a_staff)

    client.post(f"/portal/{slug}/profile/", profile_post(clinic, description="Edited", **extras))
    client.post(
        f"/portal/{slug}/offerings/{a['offering'].pk}/",
        offering_post(a["offering"], title="Edited title", **extras),
    )
    client.post(
        f"/portal/{slug}/offerings/new/", offering_post(a["offering"], title="Brand new", **extras)
    )
    client.post(f"/portal/{slug}/team/new/", doctor_post(**extras))
    client.post(
        f"/portal/{slug}/team/{a['doctor'].pk}/", doctor_post(a["doctor"], bio="Hi", **extras)
    )
    client.post(
        f"/portal/{slug}/reviews/{a['review'].pk}/reply/", {"reply_body": "Thanks", **extras}
    )

    clinic.refresh_from_db()
    assert clinic.status == ClinicStatus.UNDER_REVIEW and clinic.slug == world.clinic_a.slug
    assert clinic.description == "Edited"
    edited = Offering.objects.get(pk=a["offering"].pk)
    assert edited.title == "Edited title" and edited.status == OfferingStatus.LIVE
    assert edited.price_min_usd == Decimal("6000.00") and edited.clinic == world.clinic_a
    new = Offering.objects.get(title="Brand new")
    assert new.status == OfferingStatus.PENDING and new.clinic == world.clinic_a
    proposed = Doctor.objects.get(full_name="Dr. New Person")
    assert proposed.clinic == world.clinic_a
    assert not proposed.is_active and proposed.verified_at is None and proposed.verified_by is None
    assert Doctor.objects.get(pk=a["doctor"].pk).bio == "Hi"
    review = Review.objects.get(pk=a["review"].pk)
    assert review.reply_body == "Thanks" and review.rating == 5
    assert review.status == ReviewStatus.PUBLISHED and review.moderation_reason == ""
    for change in ChangeRequest.objects.filter(clinic=world.clinic_a):
        assert not set(change.changes) & set(extras)
    assert not ChangeRequest.objects.filter(clinic=world.clinic_b).exclude(pk=b["change"].pk)
    assert Offering.objects.filter(clinic=world.clinic_b).count() == 1


def test_an_uploaded_credential_cannot_verify_itself(client: Client, world: Personas) -> None:
    from tests.core.upload_samples import upload

    from .factories import PDF_BYTES

    login(client, world.clinic_a_staff)
    response = client.post(
        f"/portal/{world.clinic_a.slug}/credentials/new/",
        {
            "kind": "insurance",
            "issuer": "Seguros Alfa",
            "number": "POL-1",
            "issued_on": "2026-01-01",
            "expires_on": "2027-01-01",
            "document": upload(PDF_BYTES, "policy.pdf"),
            **SYSTEM_EXTRAS,
            "clinic": world.clinic_b.pk,
            "verified_by": world.concierge.pk,
        },
    )
    assert response.status_code == 302
    credential = Credential.objects.get(issuer="Seguros Alfa")
    assert credential.clinic == world.clinic_a
    assert credential.status == CredentialStatus.PENDING
    assert credential.verified_by is None and credential.verified_at is None
    assert credential.uploaded_by == world.clinic_a_staff
