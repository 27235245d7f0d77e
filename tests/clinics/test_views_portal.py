"""The clinic portal: who gets in, tenant isolation, edits, change requests, mass assignment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse

from clinics.models import (
    ChangeRequest,
    ChangeRequestStatus,
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
from clinics.services import change_request_approve
from core.models import AuditEvent
from tests.conftest import Personas
from tests.factories import ClinicMembershipFactory, ConditionFactory

from .factories import CredentialFactory, DoctorFactory, OfferingFactory, ReviewFactory
from .web_helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas: Personas) -> Personas:
    """Each persona clinic with an offering, a doctor, a credential, a review and a request."""
    for n, (clinic, tag) in enumerate(((personas.clinic_a, "Alfa"), (personas.clinic_b, "Beta"))):
        # The condition taxonomy is shared and public: no clinic's name in it.
        condition = ConditionFactory(name=f"Knee condition {n}", slug=f"knee-condition-{n}")
        offering = OfferingFactory(
            clinic=clinic, title=f"{tag} Knee Protocol", conditions=[condition]
        )
        doctor = DoctorFactory(clinic=clinic, full_name=f"Dr. {tag} Surgeon")
        credential = CredentialFactory(clinic=clinic, issuer=f"{tag} Health Authority")
        review = ReviewFactory(
            clinic=clinic, body=f"{tag} review text", author_display_name=f"{tag} Patient"
        )
        pending = ChangeRequest.objects.create(
            clinic=clinic,
            target=offering,
            changes={"price_max": "9500"},
            original={"price_max": "9000"},
            submitted_by=None,
        )
        personas.extra[tag] = {
            "offering": offering,
            "doctor": doctor,
            "credential": credential,
            "review": review,
            "change": pending,
            "condition": condition,
        }
    return personas


def offering_post(offering: Offering, /, **overrides: Any) -> dict[str, Any]:
    """The offering form as the browser posts it, with the published values."""
    data: dict[str, Any] = {
        "title": offering.title,
        "summary": offering.summary,
        "conditions": [c.pk for c in offering.conditions.all()],
        "cell_type": offering.cell_type,
        "cell_source": offering.cell_source,
        "origin": offering.origin,
        "manipulation": offering.manipulation,
        "cell_count_millions": offering.cell_count_millions or "",
        "volume_ml": offering.volume_ml or "",
        "viability_percent": offering.viability_percent or "",
        "route": offering.route,
        "sessions": offering.sessions,
        "typical_stay_nights": offering.typical_stay_nights,
        "price_currency": offering.price_currency,
        "price_min": offering.price_min,
        "price_max": offering.price_max,
        "included": offering.included,
    }
    data.update(overrides)
    return data


def profile_post(clinic: Clinic, /, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": clinic.name,
        "city": clinic.city,
        "country": str(clinic.country),
        "accreditation_notes": clinic.accreditation_notes,
        "description": clinic.description,
        "website": clinic.website,
        "languages": clinic.languages,
        "time_zone": str(clinic.time_zone),
        "contact_name": clinic.contact_name,
        "contact_email": clinic.contact_email,
        "contact_phone": str(clinic.contact_phone or ""),
    }
    data.update(overrides)
    return data


def doctor_post(doctor: Doctor | None = None, /, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": doctor.full_name if doctor else "Dr. New Person",
        "speciality": doctor.speciality if doctor else "Sports medicine",
        "licence_number": doctor.licence_number if doctor else "NEW-12345",
        "licence_authority": doctor.licence_authority if doctor else "Colegio Médico",
        "bio": doctor.bio if doctor else "",
        "display_order": doctor.display_order if doctor else 1,
    }
    data.update(overrides)
    return data


# --- Who gets in ------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_the_allauth_login(client: Client, world: Personas) -> None:
    for path in (
        "/portal/",
        f"/portal/{world.clinic_a.slug}/",
        f"/portal/{world.clinic_a.slug}/offerings/",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_a_patient_gets_a_404_everywhere_in_the_portal(client: Client, world: Personas) -> None:
    login(client, world.alice)
    assert client.get("/portal/").status_code == 404
    assert client.get(f"/portal/{world.clinic_a.slug}/").status_code == 404


def test_concierge_staff_are_sent_to_the_admin(client: Client, world: Personas) -> None:
    login(client, world.concierge)
    response = client.get("/portal/")
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(f"/portal/{world.clinic_a.slug}/").status_code == 404


def test_after_login_clinic_staff_land_in_their_clinic(client: Client, world: Personas) -> None:
    login(client, world.clinic_a_staff)
    response = client.get("/welcome/", follow=True)
    assert response.redirect_chain[-1][0] == f"/portal/{world.clinic_a.slug}/"
    body = response.content.decode()
    assert world.clinic_a.name in body and world.clinic_b.name not in body


def test_a_user_in_several_clinics_picks_the_clinic(client: Client, world: Personas) -> None:
    ClinicMembershipFactory(user=world.clinic_a_staff, clinic=world.clinic_b)
    login(client, world.clinic_a_staff)
    response = client.get("/portal/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="/portal/{world.clinic_a.slug}/"' in body
    assert f'href="/portal/{world.clinic_b.slug}/"' in body
    # ...and the clinic pages offer a switch to the other one.
    body = client.get(f"/portal/{world.clinic_a.slug}/").content.decode()
    assert "Switch clinic" in body and world.clinic_b.name in body


def test_an_inactive_account_cannot_use_the_portal(client: Client, world: Personas) -> None:
    login(client, world.clinic_a_staff)
    world.clinic_a_staff.is_active = False
    world.clinic_a_staff.save(update_fields=["is_active"])
    response = client.get(f"/portal/{world.clinic_a.slug}/")
    assert response.status_code in (302, 404)


def test_a_clinic_under_review_still_manages_its_portal_but_is_not_public(
    client: Client, world: Personas
) -> None:
    Clinic.objects.filter(pk=world.clinic_a.pk).update(status=ClinicStatus.UNDER_REVIEW)
    login(client, world.clinic_a_staff)
    body = client.get(f"/portal/{world.clinic_a.slug}/").content.decode()
    assert "Under review: not public" in body


def test_the_dashboard_does_not_count_a_renewed_credential_as_expiring(
    personas: Personas,
) -> None:
    """GIVEN a licence expiring in ten days and its verified renewal
    WHEN the clinic's dashboard counts what to act on
    THEN nothing is expiring, as the daily sweep (which sends no notice) also judges."""
    import datetime as dt

    from django.utils import timezone

    from clinics.selectors import portal_dashboard_counts

    today = timezone.localdate()
    CredentialFactory(clinic=personas.clinic_a, expires_on=today + dt.timedelta(days=10))
    counts = portal_dashboard_counts(acting_user=personas.clinic_a_staff, clinic=personas.clinic_a)
    assert counts["expiring_credentials"] == 1
    CredentialFactory(clinic=personas.clinic_a, expires_on=today + dt.timedelta(days=400))
    counts = portal_dashboard_counts(acting_user=personas.clinic_a_staff, clinic=personas.clinic_a)
    assert counts["expiring_credentials"] == 0


# --- Every page of one's own clinic renders -----------------------------------------------------
def test_every_portal_page_of_my_clinic_renders(client: Client, world: Personas) -> None:
    a = world.extra["Alfa"]
    slug = world.clinic_a.slug
    login(client, world.clinic_a_staff)
    pages = [
        f"/portal/{slug}/",
        f"/portal/{slug}/profile/",
        f"/portal/{slug}/offerings/",
        f"/portal/{slug}/offerings/new/",
        f"/portal/{slug}/offerings/{a['offering'].pk}/",
        f"/portal/{slug}/team/",
        f"/portal/{slug}/team/new/",
        f"/portal/{slug}/team/{a['doctor'].pk}/",
        f"/portal/{slug}/credentials/",
        f"/portal/{slug}/credentials/new/",
        f"/portal/{slug}/changes/",
        f"/portal/{slug}/changes/{a['change'].pk}/",
        f"/portal/{slug}/reviews/",
        f"/portal/{slug}/reviews/{a['review'].pk}/reply/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert "no-store" in response["Cache-Control"], page
        body = response.content.decode()
        assert "Beta" not in body, page


# --- Tenant isolation ------------------------------------------------------------------------
def b_urls(world: Personas) -> list[tuple[str, str]]:
    """Every way clinic A's user could reach clinic B's objects by URL (method, path)."""
    b = world.extra["Beta"]
    a_slug, b_slug = world.clinic_a.slug, world.clinic_b.slug
    urls: list[tuple[str, str]] = []
    for slug in (b_slug,):  # B's slug: all of B's pages
        urls += [
            ("GET", f"/portal/{slug}/"),
            ("GET", f"/portal/{slug}/profile/"),
            ("POST", f"/portal/{slug}/profile/"),
            ("GET", f"/portal/{slug}/offerings/"),
            ("POST", f"/portal/{slug}/offerings/new/"),
            ("GET", f"/portal/{slug}/team/"),
            ("POST", f"/portal/{slug}/team/new/"),
            ("GET", f"/portal/{slug}/credentials/"),
            ("POST", f"/portal/{slug}/credentials/new/"),
            ("GET", f"/portal/{slug}/changes/"),
            ("GET", f"/portal/{slug}/reviews/"),
        ]
    for slug in (a_slug, b_slug):  # B's ids, under B's slug and under A's own slug
        urls += [
            ("GET", f"/portal/{slug}/offerings/{b['offering'].pk}/"),
            ("POST", f"/portal/{slug}/offerings/{b['offering'].pk}/"),
            ("POST", f"/portal/{slug}/offerings/{b['offering'].pk}/withdraw/"),
            ("GET", f"/portal/{slug}/team/{b['doctor'].pk}/"),
            ("POST", f"/portal/{slug}/team/{b['doctor'].pk}/"),
            ("POST", f"/portal/{slug}/team/{b['doctor'].pk}/remove/"),
            ("GET", f"/portal/{slug}/changes/{b['change'].pk}/"),
            ("GET", f"/portal/{slug}/reviews/{b['review'].pk}/reply/"),
            ("POST", f"/portal/{slug}/reviews/{b['review'].pk}/reply/"),
        ]
    urls.append(("GET", f"/portal/credential-documents/{b['credential'].pk}/"))
    return urls


B_SECRETS = (
    "Beta Knee Protocol",
    "Dr. Beta Surgeon",
    "Beta Health Authority",
    "Beta review text",
    "Beta Patient",
    "Beta Cell Center",
)


def test_clinic_a_gets_a_404_with_nothing_of_b_for_every_b_url(
    client: Client, world: Personas
) -> None:
    b = world.extra["Beta"]
    login(client, world.clinic_a_staff)
    for method, path in b_urls(world):
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(
                path,
                {
                    "title": "Hijacked",
                    "reply_body": "Hijacked",
                    "description": "Hijacked",
                    "price_max": "1",
                    "full_name": "Hijacked",
                },
            )
        assert response.status_code == 404, (method, path)
        body = response.content.decode()
        for secret in B_SECRETS:
            assert secret not in body, (method, path, secret)
    # Nothing of B changed.
    offering = Offering.objects.get(pk=b["offering"].pk)
    assert (offering.title, offering.status) == ("Beta Knee Protocol", OfferingStatus.LIVE)
    assert Doctor.objects.get(pk=b["doctor"].pk).is_active
    assert Review.objects.get(pk=b["review"].pk).reply_body == ""
    assert not ChangeRequest.objects.filter(clinic=world.clinic_b).exclude(pk=b["change"].pk)
    assert Clinic.objects.get(pk=world.clinic_b.pk).description != "Hijacked"


def test_a_swapped_hidden_field_cannot_redirect_an_edit_to_clinic_b(
    client: Client, world: Personas
) -> None:
    """
    GIVEN clinic A's user edits A's own offering
    WHEN the POST also carries B's clinic id and B's offering id in extra (hidden) fields
    THEN the change request is for A's offering only, and B is untouched
    """
    a, b = world.extra["Alfa"], world.extra["Beta"]
    login(client, world.clinic_a_staff)
    response = client.post(
        f"/portal/{world.clinic_a.slug}/offerings/{a['offering'].pk}/",
        offering_post(
            a["offering"],
            price_max="9900",
            clinic=world.clinic_b.pk,
            clinic_id=world.clinic_b.pk,
            offering=b["offering"].pk,
            id=b["offering"].pk,
            pk=b["offering"].pk,
            target_id=b["offering"].pk,
        ),
    )
    assert response.status_code == 302
    change = ChangeRequest.objects.get(clinic=world.clinic_a, status=ChangeRequestStatus.PENDING)
    assert change.target == a["offering"]
    assert change.changes == {"price_max": "9900"}
    assert ChangeRequest.objects.get(pk=b["change"].pk).status == ChangeRequestStatus.PENDING
    assert Offering.objects.get(pk=b["offering"].pk).price_max == Decimal("9000")
    # The same hidden-field swap on a new doctor and a reply stays in clinic A.
    client.post(
        f"/portal/{world.clinic_a.slug}/team/new/",
        doctor_post(clinic=world.clinic_b.pk, clinic_id=world.clinic_b.pk),
    )
    assert Doctor.objects.get(full_name="Dr. New Person").clinic == world.clinic_a
    client.post(
        f"/portal/{world.clinic_a.slug}/reviews/{a['review'].pk}/reply/",
        {"reply_body": "Thank you.", "review": b["review"].pk, "clinic": world.clinic_b.pk},
    )
    assert Review.objects.get(pk=a["review"].pk).reply_body == "Thank you."
    assert Review.objects.get(pk=b["review"].pk).reply_body == ""


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
