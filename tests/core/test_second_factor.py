"""A second factor before any page with patient data: the admin (staff), the portal (clinics)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from core.models import User

pytestmark = pytest.mark.django_db

ENROL = "/accounts/2fa/totp/activate/"


def _enrol(user: User) -> None:
    TOTP.activate(user, generate_totp_secret())


@pytest.fixture
def clinic_mfa(settings: Any) -> None:
    settings.CLINIC_MFA_REQUIRED = True


@pytest.mark.usefixtures("clinic_mfa")
@pytest.mark.parametrize("path", ["/portal/", "/portal/cases/", "/portal/clinica-alfa/"])
def test_clinic_staff_without_a_factor_are_sent_to_enrol_before_any_portal_page(
    client: Client, personas: Any, path: str
) -> None:
    client.force_login(personas.clinic_a_staff)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == ENROL


@pytest.mark.usefixtures("clinic_mfa")
def test_clinic_staff_with_a_factor_open_the_portal_but_still_only_their_own_clinic(
    client: Client, personas: Any
) -> None:
    _enrol(personas.clinic_a_staff)
    client.force_login(personas.clinic_a_staff)
    assert client.get("/portal/cases/").status_code == 200
    own = client.get(f"/portal/{personas.clinic_a.slug}/")
    assert own.status_code == 200
    other = client.get(f"/portal/{personas.clinic_b.slug}/")
    assert other.status_code == 404
    assert personas.clinic_b.name.encode() not in other.content


@pytest.mark.usefixtures("clinic_mfa")
def test_recovery_codes_alone_are_not_a_second_factor(client: Client, personas: Any) -> None:
    Authenticator.objects.create(
        user=personas.clinic_a_staff, type=Authenticator.Type.RECOVERY_CODES, data={}
    )
    client.force_login(personas.clinic_a_staff)
    assert client.get("/portal/").status_code == 302


@pytest.mark.usefixtures("clinic_mfa")
def test_the_enrolment_and_sign_out_pages_stay_open_without_a_factor(
    client: Client, personas: Any
) -> None:
    client.force_login(personas.clinic_a_staff)
    assert client.get(reverse("account_logout")).status_code == 200
    assert client.get(reverse("home")).status_code == 200
    # allauth asks for the password again first; never a loop back to the portal.
    assert not client.get(ENROL)["Location"].startswith("/portal/")


def test_with_the_setting_off_the_portal_opens_on_a_password(client: Client, personas: Any) -> None:
    client.force_login(personas.clinic_a_staff)
    assert client.get("/portal/cases/").status_code == 200


def test_staff_need_a_factor_for_the_admin_only(
    client: Client, personas: Any, settings: Any
) -> None:
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(personas.concierge)
    assert client.get(reverse("admin:index"))["Location"] == ENROL
    _enrol(personas.concierge)
    assert client.get(reverse("admin:index")).status_code == 200
