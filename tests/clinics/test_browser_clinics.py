"""Real-browser journeys: the directory, a profile, and a price change from portal to public."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, cast

import pytest
from playwright.sync_api import Page, expect

from clinics.models import ChangeRequest, ChangeRequestStatus, Offering
from tests.conftest import Personas

from .factories import OfferingFactory, give_badge
from .web_helpers import full_clinic, hidden_clinic, knee

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password


def log_in(page: Page, base: str, email: str, *, next_path: str) -> None:
    """Through allauth's own login page, as a person would."""
    page.goto(f"{base}{next_path}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_load_state("load")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("load")
    if page.locator("form[action*='logout'] button[type=submit]").count():
        # allauth may ask to confirm on its own page.
        page.locator("main form[action*='logout'] button[type=submit]").first.click()
        page.wait_for_load_state("load")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_filters_the_directory_and_opens_a_profile(
    browser_ready: None, live_server: Any, page: Page
) -> None:
    """
    GIVEN three vetted clinics in Mexico and Thailand and one clinic under review
    WHEN a visitor filters by country and opens a clinic
    THEN only vetted clinics in that country are listed, with verified-on badges, and the
         profile shows the passport in plain words and a link to start an intake there
    """
    condition = knee()
    full_clinic(1, condition=condition, country="MX", name="Clínica Uno", slug="clinica-uno")
    full_clinic(
        2,
        condition=condition,
        country="TH",
        name="Bangkok Dos",
        slug="bangkok-dos",
        languages=["th", "en"],
    )
    full_clinic(3, condition=condition, country="MX", name="Clínica Tres", slug="clinica-tres")
    hidden_clinic()
    page.goto(f"{live_server.url}/clinics/")
    expect(page.locator("h1")).to_have_text("Vetted stem-cell clinics")
    expect(page.locator("#clinic-cards > li")).to_have_count(3)
    expect(page.get_by_text("Hidden Clinic Under Review")).to_have_count(0)
    expect(page.locator("#ranking-rule")).to_contain_text("No clinic can pay")

    page.select_option("#id_country", "TH")
    with page.expect_navigation():
        page.get_by_role("button", name="Show clinics").click()
    # clinics.js leaves empty filters out of the address.
    assert page.url.endswith("/clinics/?country=TH")
    expect(page.locator("#clinic-cards > li")).to_have_count(1)
    card = page.locator("#clinic-cards > li").first
    expect(card).to_contain_text("Bangkok Dos")
    expect(card).to_contain_text("verified on")

    # Sorting keeps the filter (the sort select submits itself through site.js).
    with page.expect_navigation():
        page.select_option("#id_sort", "price")
    assert "country=TH" in page.url and "sort=price" in page.url

    card.get_by_role("link", name="Bangkok Dos", exact=True).click()
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_have_text("Bangkok Dos")
    expect(page.locator(".plain-words", has_text="IV infusion")).to_have_text(
        "Your own cells (autologous) from fat tissue, expanded in a lab to 100 million cells, "
        "given by IV infusion over 60-120 minutes."
    )
    expect(page.get_by_text("minimally manipulated: prepared the same day")).to_have_count(1)
    expect(page.locator("#start-intake-for-clinic")).to_have_attribute(
        "href", "/intake/?clinic=bangkok-dos"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_directory_and_profile_fit_a_360px_phone_with_filters_folded(
    browser_ready: None, live_server: Any, page: Page
) -> None:
    full_clinic(1, slug="phone-clinic")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/clinics/")
    # Filters are folded away on a phone and open with their button.
    expect(page.locator("#directory-filters")).to_be_hidden()
    page.get_by_role("button", name=re.compile("^Filters")).click()
    expect(page.locator("#directory-filters")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(f"{live_server.url}/clinics/phone-clinic/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # On a wide screen the filters are simply there.
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(f"{live_server.url}/clinics/")
    expect(page.locator("#directory-filters")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_clinic_edits_a_price_and_staff_approve_it_in_the_admin(
    browser_ready: None, live_server: Any, page: Page, personas: Personas
) -> None:
    """
    GIVEN clinic A's published offering at USD 6,000 - 9,000
    WHEN A's staff log in through allauth and raise the upper price to 12,000
    THEN the portal shows the change as pending and the public profile still says 9,000;
    AND WHEN a concierge logs into the admin and approves it with the admin action
    THEN the public profile shows USD 6,000 - 12,000
    """
    base = live_server.url
    clinic = personas.clinic_a
    give_badge(clinic)
    offering = cast(
        Offering,
        OfferingFactory(
            clinic=clinic,
            title="Knee MSC protocol",
            price_min=Decimal(6000),
            price_max=Decimal(9000),
        ),
    )

    # --- the clinic --------------------------------------------------------------------
    log_in(page, base, personas.clinic_a_staff.email, next_path="/portal/")
    expect(page).to_have_url(f"{base}/portal/{clinic.slug}/")
    page.get_by_role("link", name="Offerings", exact=True).click()
    page.get_by_role("link", name="Knee MSC protocol").click()
    page.fill("#id_price_max", "12000")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("load")
    expect(page.locator(".messages")).to_contain_text("Sent to our staff for review")
    pending = page.locator("#pending-change")
    expect(pending).to_be_visible()
    expect(pending.locator("tr[data-field=price_max]")).to_contain_text("12000")
    page.get_by_role("link", name="Change requests").click()
    expect(page.locator("#change-list")).to_contain_text("Awaiting staff")

    page.goto(f"{base}/clinics/{clinic.slug}/")
    expect(page.get_by_text("USD 6,000 - 9,000")).to_be_visible()
    page.goto(f"{base}/portal/{clinic.slug}/")
    log_out(page)

    # --- concierge staff in the admin -------------------------------------------------------
    change = ChangeRequest.objects.get(clinic=clinic, status=ChangeRequestStatus.PENDING)
    log_in(page, base, personas.concierge.email, next_path="/admin/clinics/changerequest/")
    expect(page).to_have_url(re.compile(r"/admin/clinics/changerequest/"))
    page.locator(f"input[name=_selected_action][value='{change.pk}']").check()
    page.select_option("select[name=action]", "approve_selected")
    page.locator("button[name=index], input[name=index]").first.click()
    page.wait_for_load_state("load")
    expect(page.locator(".messagelist")).to_contain_text("approved")

    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.APPROVED
    offering.refresh_from_db()
    assert offering.price_max == Decimal("12000")
    page.goto(f"{base}/clinics/{clinic.slug}/")
    expect(page.get_by_text("USD 6,000 - 12,000")).to_be_visible()
