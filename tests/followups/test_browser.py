"""A patient answers a check-in on a phone, in a real browser, timed."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from followups.models import AdverseEvent, CheckInStatus
from followups.services import checkin_link_issue

from .factories import first_checkin, scheduled


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_patient_answers_the_day_two_check_in_on_a_phone_in_under_two_minutes(
    browser_ready: None, live_server: Any, page: Page, personas: Any, figure: Any
) -> None:
    """
    GIVEN a patient treated two days ago whose check-in e-mail carries a link
    WHEN they open it on a 360 x 740 phone, start, and answer the three pages (fever > 48 h)
    THEN the check-in is answered, an adverse event is open, no page scrolled sideways,
    and the time a scripted patient took is reported
    """
    page.set_viewport_size({"width": 360, "height": 740})
    schedule = scheduled(personas.clinic_a, treated_on=timezone.localdate() - dt.timedelta(days=2))
    check_in = first_checkin(schedule)
    raw = checkin_link_issue(check_in=check_in, notification=None)
    url = f"{live_server.url}/follow-up/c/{raw}/"
    widths: list[int] = []

    started = time.monotonic()
    page.goto(url)
    widths.append(page.evaluate("document.documentElement.scrollWidth"))
    expect(page.get_by_text("What to expect now")).to_be_visible()
    page.locator("#start-checkin").click()

    page.locator("label[for='id_pain_now_4']").click()
    page.locator("label[for='id_pgic_3']").click()
    page.locator("label[for='id_function_limit_3']").click()
    widths.append(page.evaluate("document.documentElement.scrollWidth"))
    page.locator("#next").click()

    expect(page.get_by_role("heading", name="Side effects since your treatment")).to_be_visible()
    page.locator("label[for='id_se_site_pain_1']").click()
    page.locator("label[for='id_se_fever_2']").click()
    page.locator("label[for='id_still_fever']").click()
    page.locator("label[for='id_fever_over_48h']").click()
    widths.append(page.evaluate("document.documentElement.scrollWidth"))
    page.locator("#next").click()

    page.locator("label[for='id_care_visit_0']").click()
    widths.append(page.evaluate("document.documentElement.scrollWidth"))
    page.locator("#next").click()
    expect(page.get_by_role("heading", name="Thank you: we have your answers")).to_be_visible()
    took = time.monotonic() - started

    check_in.refresh_from_db()
    assert check_in.status == CheckInStatus.ANSWERED
    assert AdverseEvent.objects.filter(check_in=check_in).count() == 1
    assert max(widths) <= 360, widths
    assert took < 120
    figure("followups.checkin_browser", viewport="360x740", pages=3, seconds=f"{took:.1f}")
