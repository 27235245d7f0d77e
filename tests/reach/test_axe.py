"""Every patient page and the clinic portal: zero axe-core violations (WCAG 2.2 A/AA) in
English, Spanish and Arabic, and no horizontal scrolling on a 360 x 740 phone.

The page list comes from the URL conf (tests/reach/routes.py), so new routes are walked
the day they land. One browser context per language, one tab reused for every page.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import Browser

from tests.a11y import axe_violations, describe

from .demo import build_demo, session_cookie, sessions
from .routes import CLINIC_STAFF, PATIENT, Visit, classify, plan

LANGUAGES = [code for code, _name in settings.LANGUAGES]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
# The README shows the intake and the case page on a phone, in English and in Arabic.
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
SCREENSHOT_LANGUAGES = ("en", "ar")


def screenshot_name(visit: Visit, language: str) -> str | None:
    """docs/screenshots/<name>: each intake step and the case page, else None."""
    if visit.route.name == "intake:step":
        return f"intake-{visit.url.rstrip('/').rsplit('/', 1)[-1]}-{language}.png"
    if visit.route.name == "intake:case":
        return f"case-{language}.png"
    return None


def save_small_png(png: bytes, path: Path) -> None:
    """A 64-colour palette PNG: a phone screenshot in ~20 KB instead of ~80 KB."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    path.parent.mkdir(parents=True, exist_ok=True)
    small.save(path, format="PNG", optimize=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_patient_page_and_the_portal_pass_axe_and_fit_a_phone_in_three_languages(
    browser_ready: None, live_server: Any, browser: Browser, figure: Callable[..., None]
) -> None:
    """
    GIVEN the demo (seed, a patient's draft and case, a clinic-staff login) and every
          route of the URL conf that opens as a page, signed in where the page needs it
    WHEN each page is opened in English, Spanish and Arabic and axe-core checks it
    THEN no page has a WCAG 2.2 A/AA violation, and none is wider than a 360 px phone
         (the intake steps and the case page are photographed there for the README)
    """
    seeded = build_demo()
    pages = plan(seeded.demo)
    assert not pages.unknown, "routes with no parameter source (tests/reach/routes.py): " + (
        ", ".join(route.name for route in pages.unknown)
    )
    clients = sessions(seeded)
    found = classify(pages.visits, clients)
    assert not found.broken, f"pages that do not open: {found.broken}"
    cookies = {role: session_cookie(client) for role, client in clients.items()}
    base = live_server.url

    checked = violations = shots = 0
    reports: list[str] = []
    too_wide: list[str] = []
    ordered = sorted(found.pages, key=lambda visit: visit.role != PATIENT)
    for language in LANGUAGES:
        # The browser in the reader's language too: date fields read as they would at home.
        context = browser.new_context(viewport=DESKTOP, locale=language)  # type: ignore[arg-type]
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}]
        )
        page = context.new_page()
        role = ""
        try:
            for visit in ordered:
                if visit.role != role:
                    role = visit.role
                    context.add_cookies(
                        [
                            {
                                "name": settings.SESSION_COOKIE_NAME,
                                "value": cookies[role],
                                "url": base,
                            }
                        ]
                    )
                page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
                response = page.goto(base + visit.url)
                assert response is not None and response.ok, f"{visit.label} in {language}"
                assert page.locator("html").get_attribute("lang") == language
                found_here = axe_violations(page)
                checked += 1
                violations += len(found_here)
                if found_here:
                    reports.append(describe(found_here, where=f"{visit.label} [{language}]"))
                page.set_viewport_size(PHONE)  # type: ignore[arg-type]
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    too_wide.append(f"{visit.label} [{language}] is {width}px wide")
                name = screenshot_name(visit, language)
                if name and language in SCREENSHOT_LANGUAGES:
                    page.evaluate("window.scrollTo(0, 0)")
                    save_small_png(page.screenshot(), SCREENSHOTS / name)
                    shots += 1
        finally:
            context.close()

    figure("axe", pages=checked, violations=violations)
    figure("phone_fit", pages=checked, too_wide=len(too_wide), screenshots=shots)
    assert checked >= 40
    assert shots == 2 * 9, "eight intake steps and the case page, in English and Arabic"
    assert {v.role for v in found.pages} == {PATIENT, CLINIC_STAFF}
    assert violations == 0, "\n" + "\n".join(reports)
    assert not too_wide, "\n".join(too_wide)
