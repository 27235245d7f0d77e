from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_reads_the_home_page_and_switches_to_spanish(
    browser_ready: None, live_server: object, page: Page
) -> None:
    """
    GIVEN a visitor on the home page in English
    WHEN they choose Español in the language switcher
    THEN the page is served in Spanish and the start button still leads to the intake
    """
    page.goto(f"{live_server.url}/")  # type: ignore[attr-defined]
    expect(page.locator("h1")).to_contain_text("Considering stem-cell therapy")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.select_option("#language-select", "es")  # auto-submits via site.js
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("h1")).to_contain_text("terapia con células madre")
    expect(page.locator("#start-intake")).to_have_attribute("href", "/intake/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_arabic_is_laid_out_right_to_left(
    browser_ready: None, live_server: object, page: Page
) -> None:
    page.goto(f"{live_server.url}/")  # type: ignore[attr-defined]
    page.select_option("#language-select", "ar")
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_home_page_fits_a_360px_phone(
    browser_ready: None, live_server: object, page: Page
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/")  # type: ignore[attr-defined]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360, f"page is {scroll_width}px wide on a 360px screen"
    # the skip link is the first thing a keyboard user reaches
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
