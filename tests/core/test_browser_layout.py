from __future__ import annotations

import pytest
from playwright.sync_api import Browser

PAGES = ["/", "/clinics/", "/intake/", "/intake/lost-link/"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_public_pages_fit_a_360px_phone_in_every_language(
    browser_ready: None, live_server: object, browser: Browser, language: str
) -> None:
    """Nothing may push the page wider than the phone, in either writing direction."""
    base = live_server.url  # type: ignore[attr-defined]
    context = browser.new_context(viewport={"width": 360, "height": 740})
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page = context.new_page()
    try:
        for path in PAGES:
            page.goto(base + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{path} in {language} is {width}px wide on a 360px screen"
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_phone_without_javascript_can_still_change_the_language(
    browser_ready: None, live_server: object, browser: Browser
) -> None:
    """The collapsed menu's button needs JavaScript; without it the menu is shown open."""
    base = live_server.url  # type: ignore[attr-defined]
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(base + "/clinics/")
        assert not page.locator(".navbar-toggler").is_visible()
        page.select_option("#language-select", "es")
        page.click("#language-submit")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("link", name="Clínicas verificadas").is_visible()
    finally:
        context.close()
