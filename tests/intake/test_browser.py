from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from intake.models import Case, CaseStatus

from .factories import make_condition
from .journeys import complete_intake_as_new_patient


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_patient_completes_the_wizard_with_real_files_and_sees_the_reference(
    browser_ready: None, live_server: object, page: Page, tmp_path: Path
) -> None:
    """
    GIVEN a new visitor and the condition taxonomy
    WHEN they answer every step, upload a real PDF, JPEG and DICOM, consent and send
    THEN they see their reference, and the case holds three typed documents and no draft is left
    """
    make_condition(name="Knee osteoarthritis", slug="knee-osteoarthritis", category="orthopedic")
    reference = complete_intake_as_new_patient(page, live_server.url, tmp_path)  # type: ignore[attr-defined]
    case = Case.objects.get(reference=reference)
    assert case.status == CaseStatus.NEW
    assert sorted(case.documents.values_list("kind", flat=True)) == ["dicom", "jpeg", "pdf"]
    assert sorted(case.documents.values_list("doc_type", flat=True)) == ["mri", "record", "xray"]
    assert "nsaids" in case.triage_flags
    # the done page leads to the case page in this browser
    page.locator("#open-case").click()
    expect(page.locator("#case-reference")).to_have_text(reference)
    expect(page.locator("#document-list li")).to_have_count(3)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_wizard_fits_a_phone_and_works_by_keyboard(
    browser_ready: None, live_server: object, page: Page
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/intake/")  # type: ignore[attr-defined]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # submitting empty moves focus to the error summary, and each error sits by its field
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator("#id_full_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_full_name_error")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # the honeypot is out of sight and out of the tab order
    expect(page.locator("#id_website")).to_have_attribute("tabindex", "-1")
