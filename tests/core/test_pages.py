from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from clinics.models import Clinic, ClinicStatus, Condition
from core.models import User

pytestmark = pytest.mark.django_db


def test_the_home_page_explains_the_service_and_leads_to_the_intake(client: Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Considering stem-cell therapy" in html
    assert 'href="/intake/"' in html
    assert 'href="#main"' in html  # skip link
    assert "Content-Security-Policy" in page.headers


def test_the_home_page_speaks_spanish_when_asked(client: Client) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="es")
    assert 'lang="es"' in page.content.decode()
    assert "terapia con células madre" in page.content.decode()


def test_arabic_pages_are_right_to_left(client: Client) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="ar")
    assert 'dir="rtl"' in page.content.decode()
    assert "bootstrap.rtl.min.css" in page.content.decode()


def test_times_follow_the_browser_zone_cookie_and_ignore_garbage(client: Client) -> None:
    client.cookies["tz"] = "America%2FBogota"
    assert client.get("/").status_code == 200
    client.cookies["tz"] = "'; DROP TABLE--"
    assert client.get("/").status_code == 200


def test_seed_demo_is_idempotent_and_spans_six_countries() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "concierge@concierge.example" in out.getvalue()
    assert "/intake/c/" in out.getvalue()  # a working patient link for newcomers
    counts = (User.objects.count(), Clinic.objects.count(), Condition.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (User.objects.count(), Clinic.objects.count(), Condition.objects.count()) == counts
    countries = set(
        Clinic.objects.filter(status=ClinicStatus.VETTED).values_list("country", flat=True)
    )
    assert len(countries) >= 6
    assert Condition.objects.values("category").distinct().count() >= 8


def test_nobody_can_sign_up_on_their_own(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "email": "self@signup.example",
            "password1": "x-very-long-pass-1",
            "password2": "x-very-long-pass-1",
        },
    )
    assert not User.objects.filter(email="self@signup.example").exists()
    assert response.status_code in (200, 302, 403)


def test_the_admin_login_goes_through_allauth(client: Client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_without_a_second_factor_are_sent_to_enrol_one(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STAFF_MFA_REQUIRED = True
    staff = User.objects.create_user(
        "staff@concierge.example", password="pw-long-enough-1", is_staff=True
    )
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/accounts/2fa/totp/activate" in response["Location"]


def test_robots_keep_crawlers_out_of_private_areas_without_naming_the_admin(client: Client) -> None:
    body = client.get("/robots.txt").content.decode()
    assert "Disallow: /intake/" in body and "Disallow: /portal/" in body
    assert "admin" not in body
