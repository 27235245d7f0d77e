"""The clinic portal: who gets in, every page of one's own clinic renders, tenant isolation.

The ``world`` fixture (both persona clinics, each with an offering, a doctor, a credential,
a review and a pending change request) is in this folder's conftest.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from clinics.models import (
    ChangeRequest,
    ChangeRequestStatus,
    Clinic,
    ClinicStatus,
    Doctor,
    Offering,
    OfferingStatus,
    Review,
)
from tests.conftest import Personas
from tests.factories import ClinicMembershipFactory

from .factories import CredentialFactory
from .portal_helpers import doctor_post, offering_post
from .web_helpers import login

pytestmark = pytest.mark.django_db


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
