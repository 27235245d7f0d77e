"""The sign-in pages in a real browser: the site's layout, the reader's language, no sign-up,
and no WCAG 2.2 A/AA violation that axe-core can find, in English, Spanish and Arabic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import Browser, BrowserContext, Page, expect

from core.models import User
from tests.a11y import axe_violations, describe
from tests.core.totp import totp_code
from tests.factories import ConciergeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LANGUAGES = ["en", "es", "ar"]


@pytest.fixture
def new_context(
    browser_ready: None, live_server: Any, browser: Browser
) -> Iterator[Callable[[str], BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make(language: str) -> BrowserContext:
        context = browser.new_context(viewport={"width": 1024, "height": 900})
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def _sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")


def _check(page: Page, language: str, name: str, found: dict[str, str]) -> None:
    """The page is ours (layout, language, direction), offers no sign-up, and passes axe."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.locator("header nav")).to_have_count(1)
    expect(page.locator("footer")).to_have_count(1)
    assert page.locator("a[href*='signup']").count() == 0, f"{name}: a sign-up link"
    violations = axe_violations(page)
    if violations:
        found[f"{name} [{language}]"] = describe(violations, where=f"{name} [{language}]")


def _user(prefix: str, language: str) -> User:
    return UserFactory.create(email=f"{prefix}-{language}@clinic.example")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sign_in_page_is_ours_and_passes_axe(
    live_server: Any, new_context: Callable[[str], BrowserContext], language: str
) -> None:
    """
    GIVEN a reader whose language is English, Spanish or Arabic
    WHEN they open sign-in, sign-out, every password-reset step, the second-factor pages
         (authenticate, activate, recovery codes, password check) and the lock-out page
    THEN each is drawn in the site's layout, in their language and direction, offers no
         sign-up, and axe-core finds no WCAG 2.2 A/AA violation
    """
    base = live_server.url
    found: dict[str, str] = {}
    page = new_context(language).new_page()

    # Signed out: sign-in, the reset request and its "sent" page, the reset form from
    # the e-mailed key, its "done" page.
    page.goto(f"{base}/accounts/login/")
    _check(page, language, "login", found)
    page.goto(f"{base}/accounts/password/reset/")
    _check(page, language, "password reset", found)
    page.goto(f"{base}/accounts/password/reset/done/")
    _check(page, language, "password reset sent", found)
    resetter = _user("reset", language)
    key = default_token_generator.make_token(resetter)
    page.goto(f"{base}/accounts/password/reset/key/{user_pk_to_url_str(resetter)}-{key}/")
    expect(page.locator("input[name=password1]")).to_be_visible()
    _check(page, language, "password reset from key", found)
    page.goto(f"{base}/accounts/password/reset/key/done/")
    _check(page, language, "password reset done", found)

    # Signed in without a factor: sign-out, the password check, then TOTP activation.
    _user("enrol", language)
    _sign_in(page, base, f"enrol-{language}@clinic.example")
    page.goto(f"{base}/accounts/logout/")
    _check(page, language, "logout", found)
    page.goto(f"{base}/accounts/2fa/totp/activate/")
    expect(page.locator("input[name=password]")).to_be_visible()
    _check(page, language, "reauthenticate", found)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator("img.auth-qr")).to_be_visible()
    _check(page, language, "TOTP activate", found)

    # A staff account with TOTP: the code step at sign-in, then the recovery codes.
    staff = ConciergeFactory.create(email=f"mfa-{language}@concierge.example")
    TOTP.activate(staff, TOTP_SECRET)
    RecoveryCodes.activate(staff)
    mfa_page = new_context(language).new_page()
    _sign_in(mfa_page, base, staff.email)
    expect(mfa_page.locator("input[name=code]")).to_be_visible()
    _check(mfa_page, language, "MFA authenticate", found)
    mfa_page.fill("input[name=code]", totp_code(TOTP_SECRET))
    mfa_page.locator("main form button[type=submit]").first.click()
    mfa_page.wait_for_load_state("load")
    mfa_page.goto(f"{base}/accounts/2fa/recovery-codes/")
    if mfa_page.locator("input[name=password]").count():  # allauth asks again first
        mfa_page.fill("input[name=password]", PASSWORD)
        mfa_page.locator("main form button[type=submit]").first.click()
        mfa_page.wait_for_load_state("load")
    expect(mfa_page.locator("#recovery_codes")).to_be_visible()
    _check(mfa_page, language, "recovery codes", found)

    # Locked out: too many wrong passwords for one account from this browser.
    locked = _user("locked", language)
    lock_page = new_context(language).new_page()
    for _ in range(5):  # AXES_FAILURE_LIMIT in the test settings: the fifth answers 429
        _sign_in(lock_page, base, locked.email, password="wrong-password")
    expect(lock_page.locator("main h1")).to_be_visible()
    assert lock_page.locator("input[name=password]").count() == 0, "not the lock-out page"
    _check(lock_page, language, "lockout", found)

    assert not found, "\n\n".join(found.values())
