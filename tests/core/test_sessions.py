"""Sessions: idle limits by role, an absolute lifetime, the warning, and signing out everywhere."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils.crypto import salted_hmac

from core.models import User
from core.sessions import KIND_KEY, SEEN_KEY, STARTED_KEY
from tests.core.totp import totp_code
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _age_session(client: Client, *, idle: float = 0, since_sign_in: float | None = None) -> None:
    """Pretend the last request was ``idle`` seconds ago (and the sign-in earlier still)."""
    session = client.session
    now = time.time()
    session[SEEN_KEY] = now - idle
    if since_sign_in is not None:
        session[STARTED_KEY] = now - since_sign_in
    session.save()


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _sign_in(email: str) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:1000]
    return client


@pytest.mark.parametrize(("who", "limit_minutes"), [("concierge", 15), ("clinic_a_staff", 30)])
def test_each_role_is_signed_out_after_its_own_idle_limit(
    personas: Any, who: str, limit_minutes: int
) -> None:
    client = _sign_in(getattr(personas, who).email)
    kind = client.session[KIND_KEY]
    assert kind == ("staff" if who == "concierge" else "clinic")

    _age_session(client, idle=(limit_minutes - 1) * 60)
    assert client.get(reverse("home")).status_code == 200
    assert _signed_in(client)

    _age_session(client, idle=(limit_minutes + 1) * 60)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:session_ended")
    assert not _signed_in(client)
    ended = client.get(response["Location"])
    assert "You were signed out" in ended.content.decode()


def test_a_busy_session_still_ends_at_the_absolute_lifetime(personas: Any, settings: Any) -> None:
    client = _sign_in(personas.clinic_a_staff.email)
    _age_session(client, idle=10, since_sign_in=settings.SESSION_ABSOLUTE_SECONDS + 1)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("core:session_ended")
    assert not _signed_in(client)


def test_the_page_shows_how_long_remains_and_offers_to_stay_signed_in(personas: Any) -> None:
    client = _sign_in(personas.clinic_a_staff.email)
    _age_session(client, idle=5 * 60)
    html = client.get(reverse("home")).content.decode()
    remaining = int(re.search(r'data-remaining="(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert 29 * 60 <= remaining <= 30 * 60  # opening the page was activity: a fresh half hour
    assert 'data-keepalive-url="/session/keep-alive/"' in html
    assert "Stay signed in" in html
    assert "/static/js/session-timeout.js" in html
    assert "<script>" not in html  # nothing inline: the CSP forbids it


def test_anonymous_visitors_get_no_timer() -> None:
    html = Client().get(reverse("home")).content.decode()
    assert 'id="session-timeout"' not in html


def test_the_keep_alive_reports_without_touching_and_extends_on_post(personas: Any) -> None:
    client = _sign_in(personas.concierge.email)
    _age_session(client, idle=10 * 60)
    url = reverse("core:session_keepalive")

    status = client.get(url, HTTP_ACCEPT="application/json").json()
    assert 4 * 60 <= status["remaining"] <= 5 * 60 + 1
    again = client.get(url, HTTP_ACCEPT="application/json").json()
    assert again["remaining"] <= status["remaining"]  # asking is not activity

    kept = client.post(url, HTTP_ACCEPT="application/json").json()
    assert kept["remaining"] >= 15 * 60 - 2


def test_the_keep_alive_of_an_expired_session_says_so_in_json(personas: Any) -> None:
    client = _sign_in(personas.concierge.email)
    _age_session(client, idle=16 * 60)
    response = client.get(reverse("core:session_keepalive"), HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json() == {"remaining": 0}


def test_a_password_change_signs_out_every_other_session_but_not_this_one(
    personas: Any,
) -> None:
    """
    GIVEN clinic staff signed in on a laptop and on a phone
    WHEN they change their password on the laptop
    THEN the laptop stays signed in and the phone is signed out at its next request
    """
    email = personas.clinic_a_staff.email
    laptop, phone = _sign_in(email), _sign_in(email)
    new_password = "a-new-long-password-2026"
    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302, response.content.decode()[:1000]

    laptop_response = laptop.get(reverse("portal:home"))
    assert not laptop_response["Location"].startswith(reverse("account_login"))
    assert _signed_in(laptop)
    phone_response = phone.get(reverse("portal:home"))
    assert phone_response.status_code == 302
    assert phone_response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db(transaction=True)  # allauth signals on commit, inside the request
def test_adding_a_second_factor_signs_out_every_other_session_but_not_this_one(
    personas: Any,
) -> None:
    """
    GIVEN concierge staff signed in on two computers
    WHEN they activate an authenticator app on one of them
    THEN that one stays signed in and the other is signed out
    """
    user: User = personas.concierge
    desk, home = _sign_in(user.email), _sign_in(user.email)
    activate = reverse("mfa_activate_totp")
    # allauth asks for the password again before any change to the factors.
    desk.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert desk.get(activate).status_code == 200
    secret = desk.session[SECRET_SESSION_KEY]
    code = totp_code(secret)
    response = desk.post(activate, {"code": code})
    assert response.status_code == 302, response.content.decode()[:1000]

    user.refresh_from_db()
    assert user.session_generation >= 1  # the app and its recovery codes
    assert desk.get(reverse("admin:index")).status_code == 200
    assert home.get(reverse("admin:index")).status_code == 302
    assert not _signed_in(home)


def test_a_new_user_keeps_djangos_own_session_hash_until_a_factor_changes() -> None:
    user = UserFactory.create()
    djangos = salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
        user.password,
        algorithm="sha256",
    ).hexdigest()
    assert user.session_generation == 0
    assert user.get_session_auth_hash() == djangos  # deploying this signs nobody out
    user.session_generation = 1
    assert user.get_session_auth_hash() != djangos


@pytest.mark.parametrize("signal_name", ["authenticator_removed", "authenticator_reset"])
def test_removing_or_resetting_a_factor_also_ends_the_other_sessions(
    personas: Any, signal_name: str
) -> None:
    from allauth.mfa import signals
    from allauth.mfa.models import Authenticator

    user: User = personas.clinic_a_staff
    other = _sign_in(user.email)
    getattr(signals, signal_name).send(
        sender=Authenticator, request=None, user=user, authenticator=None
    )
    response = other.get(reverse("portal:home"))
    assert response["Location"].startswith(reverse("account_login"))


def test_the_admin_shows_the_same_warning(client: Client, personas: Any) -> None:
    client.force_login(personas.concierge)
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="session-timeout"' in html
    assert "/static/js/session-timeout.js" in html
    assert 'data-remaining="9' in html or 'data-remaining="8' in html  # 15 minutes, give or take
