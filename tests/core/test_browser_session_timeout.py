"""The idle-time warning in a real browser: it appears, counts down, keeps the session alive,
and at zero takes the reader to the "signed out" page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.a11y import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")


def test_the_warning_offers_to_stay_signed_in_and_the_session_stays(
    browser_ready: None, live_server: Any, page: Page, personas: Any, settings: Any
) -> None:
    """
    GIVEN clinic staff whose idle limit is a few seconds longer than the warning time
    WHEN they open a portal page and do nothing
    THEN the warning appears with the time left and focus on "Stay signed in"
    WHEN they press it
    THEN the warning goes away and the server reports a fresh idle period
    """
    settings.SESSION_IDLE_CLINIC_SECONDS = 125
    settings.SESSION_WARNING_SECONDS = 120
    base = live_server.url
    _sign_in(page, base, personas.clinic_a_staff.email)
    page.goto(f"{base}/portal/cases/")

    warning = page.locator("#session-timeout")
    expect(warning).to_be_visible(timeout=15_000)
    expect(warning.locator("[data-session-countdown]")).to_have_text(re.compile(r"^[12]:\d\d$"))
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_focused()
    violations = axe_violations(page)
    assert not violations, describe(violations, where="session warning")

    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    status = page.evaluate(
        "fetch('/session/keep-alive/', {headers: {Accept: 'application/json'}}).then(r => r.json())"
    )
    assert status["remaining"] >= 120
    page.reload()
    expect(page).to_have_url(re.compile(r"/portal/cases/$"))


def test_at_zero_the_page_goes_to_the_signed_out_page(
    browser_ready: None, live_server: Any, page: Page, personas: Any, settings: Any
) -> None:
    settings.SESSION_IDLE_CLINIC_SECONDS = 10
    settings.SESSION_WARNING_SECONDS = 8
    base = live_server.url
    _sign_in(page, base, personas.clinic_a_staff.email)
    page.goto(f"{base}/portal/cases/")
    expect(page).to_have_url(re.compile(r"/portal/cases/$"))  # still signed in here
    expect(page.locator("#session-timeout")).to_be_visible(timeout=10_000)
    # Nobody presses the button: the script leaves for the "signed out" page at zero.
    expect(page).to_have_url(re.compile(r"/session/ended/$"), timeout=20_000)
    expect(page.locator("main h1")).to_have_text("You were signed out")
    page.goto(f"{base}/portal/cases/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
