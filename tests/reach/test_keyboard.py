"""The intake by keyboard alone: a visible focus on everything, in reading order, and errors
that are announced, listed and lead to their fields."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.a11y import axe_violations, describe

# What a focused element must show: an outline or Bootstrap's focus ring (a box shadow).
FOCUS_STYLE = """() => {
    const el = document.activeElement, style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return {id: el.id || el.getAttribute("name") || el.tagName, tag: el.tagName,
            visible: outline || style.boxShadow !== "none",
            tabindex: el.tabIndex};
}"""
# Every element that Tab reaches in the form, in document order.
TABBABLE_FIELDS = """() => Array.from(document.querySelectorAll(
    "form.intake-form input, form.intake-form select, form.intake-form textarea, "
    + "form.intake-form button")).filter(el => el.tabIndex >= 0 && !el.disabled
    && el.type !== "hidden" && el.offsetParent !== null
    && !(el.type === "radio" && !el.checked && document.querySelector(
        `input[type=radio][name="${el.name}"]:checked`))).map(el => el.id || el.name)"""


def _tab_to(page: Page, element_id: str, *, limit: int = 120) -> list[dict[str, Any]]:
    """Press Tab until ``element_id`` has focus; return every stop on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_STYLE)
        stops.append(stop)
        if stop["id"] == element_id:
            return stops
    raise AssertionError(f"Tab never reached #{element_id}: {[s['id'] for s in stops]}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_patient_reaches_every_field_by_keyboard_and_errors_lead_back_to_them(
    browser_ready: None, live_server: Any, page: Page
) -> None:
    """
    GIVEN a new patient on the first step of the intake, with only a keyboard
    WHEN they Tab through the form and press Enter on "Save and continue" with nothing filled
    THEN every field is reached once, in reading order, each with a visible focus; the error
         summary takes focus and is announced (role=alert); its first link puts the caret in
         the field, which says it is invalid and names its error; and axe finds nothing
    """
    # Bootstrap animates its focus ring; without motion it is there the moment focus lands.
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{live_server.url}/intake/")
    fields = page.evaluate(TABBABLE_FIELDS)
    stops = _tab_to(page, "next-button")
    # A date input takes three stops (day, month, year): one field all the same.
    in_form = [stop["id"] for stop in stops if stop["id"] in set(fields)]
    in_form = [name for i, name in enumerate(in_form) if i == 0 or in_form[i - 1] != name]
    assert in_form == fields, f"Tab order {in_form} is not the reading order {fields}"
    hidden = [stop["id"] for stop in stops if not stop["visible"]]
    assert not hidden, f"no visible focus on {hidden}"
    assert all(stop["tabindex"] <= 0 for stop in stops), "no positive tabindex"

    page.keyboard.press("Enter")
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    page.keyboard.press("Tab")
    first_link = summary.locator("a").first
    expect(first_link).to_be_focused()
    page.keyboard.press("Enter")
    field = page.locator("#id_full_name")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = field.get_attribute("aria-describedby") or ""
    assert "id_full_name_error" in described_by.split()
    expect(page.locator("#id_full_name_error")).to_be_visible()
    # An error on a group (radios, boxes) leads to its first choice.
    group_link = summary.locator("a[href='#id_spoken_languages']")
    group_link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_spoken_languages input").first).to_be_focused()

    violations = axe_violations(page)
    assert not violations, describe(violations, where="/intake/ with errors")
