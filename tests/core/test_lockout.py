"""Sign-in lock-outs follow the one client address (core.net) and are per account and client.

These run the real sign-in view with django-axes and allauth's rate limits on,
against the configured cache (Redis when REDIS_URL is set, as in CI).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core.models import User
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"
PROXY = "10.0.0.1"

_fake_addresses: Iterator[str] = (f"198.18.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def _sign_in(client: Client, email: str, password: str, **headers: str) -> bool:
    """POST the sign-in form; True when the client is now signed in as ``email``."""
    client.post(reverse("account_login"), {"login": email, "password": password}, **headers)  # type: ignore[arg-type]
    session_user = client.session.get("_auth_user_id")
    signed_in = session_user is not None and str(User.objects.get(email=email).pk) == session_user
    if signed_in:
        client.logout()
    return signed_in


@pytest.fixture
def accounts(db: None) -> tuple[User, User]:
    return (
        UserFactory.create(email="account-a@clinic.example", password=PASSWORD),
        UserFactory.create(email="account-b@clinic.example", password=PASSWORD),
    )


@pytest.fixture
def failure_limit(settings: Any) -> int:
    return int(settings.AXES_FAILURE_LIMIT)


def _spoofed_resets(settings: Any, account: User, failure_limit: int) -> int:
    """Attempts that got through after the limit, each under a fresh fake header."""
    settings.TRUSTED_PROXY_COUNT = 0
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    client = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(failure_limit):
        _sign_in(client, account.email, "wrong", HTTP_X_FORWARDED_FOR=next(_fake_addresses))
    resets = 0
    for _ in range(failure_limit):
        if _sign_in(client, account.email, PASSWORD, HTTP_X_FORWARDED_FOR=next(_fake_addresses)):
            resets += 1
    # The header was never read: every attempt is recorded under the socket address.
    attempts = AccessAttempt.objects.filter(username=account.email)
    assert {a.ip_address for a in attempts} == {"203.0.113.50"}
    return resets


def _cross_account_blocks(
    settings: Any, account_a: User, account_b: User, failure_limit: int
) -> int:
    """Refusals of B from a second client while a first client floods A, both behind our proxy."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # What the proxy forwards: whatever the client claimed, then the address it saw.
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.66")
    colleague = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20")
    for _ in range(4 * failure_limit + 10):  # far past axes' and allauth's limits
        _sign_in(attacker, account_a.email, "wrong")
    blocks = sum(not _sign_in(colleague, account_b.email, PASSWORD) for _ in range(5))
    assert _sign_in(colleague, account_a.email, PASSWORD), "A is locked for every client"
    assert not _sign_in(attacker, account_a.email, PASSWORD), "the flooding client got in"
    assert AccessAttempt.objects.get(username=account_a.email).ip_address == "203.0.113.66"
    return blocks


def test_lockouts_follow_the_trusted_client_address_per_account_and_client(
    settings: Any, accounts: tuple[User, User], failure_limit: int, figure: Callable[..., None]
) -> None:
    """
    GIVEN no proxy of ours in front (TRUSTED_PROXY_COUNT=0)
    WHEN an attacker fails to sign in up to the limit, each time under a new X-Forwarded-For,
         then keeps trying with the right password under yet more new headers
    THEN none of the later attempts gets through (spoofed_resets)
    GIVEN one proxy of ours (TRUSTED_PROXY_COUNT=1), so REMOTE_ADDR is always the proxy
    WHEN one client floods account A with wrong passwords far past every limit
    THEN account B signs in from another client behind the same proxy every time
         (cross_account_blocks), A still signs in from that other client,
         and the flooding client stays locked out of A even with the right password
    """
    account_a, account_b = accounts
    spoofed_resets = _spoofed_resets(settings, account_a, failure_limit)
    AccessAttempt.objects.all().delete()
    cache.clear()
    cross_account_blocks = _cross_account_blocks(settings, account_a, account_b, failure_limit)
    figure("lockout", spoofed_resets=spoofed_resets, cross_account_blocks=cross_account_blocks)
    assert spoofed_resets == 0
    assert cross_account_blocks == 0


def test_the_lockout_page_is_the_sites_own_and_says_when_to_try_again(
    settings: Any, accounts: tuple[User, User], failure_limit: int
) -> None:
    settings.ACCOUNT_RATE_LIMITS = False  # let axes, not allauth, answer this one
    account_a, _b = accounts
    client = Client()
    responses = [
        client.post(reverse("account_login"), {"login": account_a.email, "password": "wrong"})
        for _ in range(failure_limit)
    ]
    locked = responses[-1]
    assert locked.status_code == 429
    body = locked.content.decode()
    assert '<html lang="en"' in body
    assert "Too many failed sign-ins" in body
    assert 'href="/accounts/password/reset/"' in body
