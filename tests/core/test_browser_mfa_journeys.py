"""Issue 12's journeys in a real browser: a second factor before any patient data, for clinic
staff and concierge staff alike, and the dashboard's numbers leading to their lists."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import Browser, Page, expect

from intake.models import CaseStatus
from tests.core.totp import totp_code
from tests.intake.factories import CaseFactory
from tests.intake.staff_factories import shared_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # the factories' password
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code() -> str:
    return totp_code(SECRET)


def sign_in_with_totp(page: Page, base: str, email: str, then: str) -> None:
    page.goto(f"{base}/accounts/login/?next={then}")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("input[name=code]")).to_be_visible()  # the second factor is asked
    page.fill("input[name=code]", code())
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")


def test_clinic_and_concierge_staff_reach_patient_data_only_after_a_totp_code(
    browser_ready: None, live_server: Any, browser: Browser, personas: Any, settings: Any
) -> None:
    """
    GIVEN clinic and concierge staff with an authenticator app, and a case shared with clinic A
    WHEN clinic A's staff sign in with password and TOTP code and open the shared case
    AND the concierge signs in the same way, opens the dashboard and follows "Open cases"
    THEN each sees what they came for, and the list holds exactly the open cases
    """
    settings.STAFF_MFA_REQUIRED = True
    settings.CLINIC_MFA_REQUIRED = True
    base = live_server.url
    case = shared_case(personas.clinic_a)
    CaseFactory.create(status=CaseStatus.NEW)
    CaseFactory.create(status=CaseStatus.CLOSED)
    for user in (personas.clinic_a_staff, personas.concierge):
        user.set_password(PASSWORD)
        user.save()
        TOTP.activate(user, SECRET)

    clinic = browser.new_context().new_page()
    shared = f"/portal/cases/{case.reference}/"
    sign_in_with_totp(clinic, base, personas.clinic_a_staff.email, shared)
    expect(clinic.get_by_text(case.reference).first).to_be_visible()
    assert clinic.url.endswith(f"/portal/cases/{case.reference}/")
    clinic.context.close()

    staff = browser.new_context().new_page()
    sign_in_with_totp(staff, base, personas.concierge.email, "/admin/")
    tile = staff.locator("a.core-tile", has_text="Open cases")
    expect(tile).to_be_visible()
    assert tile.locator(".core-tile-count").inner_text() == "2"
    tile.click()
    staff.wait_for_load_state("load")
    expect(staff.locator("input[name=_selected_action]")).to_have_count(2)
    staff.context.close()
