"""A concierge triages a submitted case in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from intake.models import Case, CaseStatus
from intake.triage import Flag
from tests.factories import ConditionFactory

from .staff_factories import CaseDocumentFactory, CaseFactory, PatientFactory


def submitted_case() -> Any:
    """A case as a patient leaves it: through the real wizard, with an MRI in DICOM.

    Uses INTAKE-CORE's wizard walk (tests/intake/wizard_data.py) so the flags,
    the sanitized DICOM and the status are what the intake really produces;
    falls back to factories only if that helper is missing.
    """
    try:
        from .files import dicom_bytes, upload
        from .wizard_data import fill_wizard
    except ImportError:  # pragma: no cover - only without INTAKE-CORE's helpers
        return _factory_case()
    knee = ConditionFactory.create(name="Knee osteoarthritis", slug="knee-osteoarthritis")
    client = Client()
    fill_wizard(
        client,
        knee,
        overrides={
            "about": {"full_name": "Marta Quiroga", "email": "marta@patients.example"},
            "screening": {
                "active_infection": "yes",
                "active_infection_details": "Tooth abscess, on antibiotics",
            },
            "history": {"takes_anticoagulants": "yes", "anticoagulants_details": "Warfarin"},
        },
    )
    response = client.post(
        "/intake/step/records/upload/",
        {
            "doc_type": "mri",
            "files": [upload("marta-knee.dcm", dicom_bytes(), "application/dicom")],
        },
    )
    assert response.status_code == 302, response.content[:300]
    response = client.post("/intake/step/review/", {"nav": "submit"})
    assert response.status_code == 302, response.content[:300]
    return Case.objects.get(patient__email="marta@patients.example")


def _factory_case() -> Any:
    case = CaseFactory.create(
        status=CaseStatus.CLINICIAN_REVIEW,
        patient=PatientFactory.create(full_name="Marta Quiroga", email="marta@patients.example"),
        triage_flags=[Flag.ACTIVE_INFECTION, Flag.ANTICOAGULANTS, Flag.PREVIOUS_TREATMENT],
        has_hard_contraindication=True,
        active_infection=True,
        active_infection_details="Tooth abscess on antibiotics",
        takes_anticoagulants=True,
        anticoagulants_details="Warfarin",
    )
    CaseDocumentFactory.create(case=case)
    return case


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "correct-horse-battery")
    page.locator("form").filter(has=page.locator("input[name=password]")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_load_state("load")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_concierge_spots_the_flags_and_downloads_the_dicom(
    browser_ready: None, live_server: Any, page: Page, personas: Any, tmp_path: Path
) -> None:
    """
    GIVEN a patient submitted the intake with an active infection, a blood thinner and an
          MRI in DICOM
    WHEN a clinician reviewer (concierge staff with the clinician role) logs in and opens
         the admin triage queue
    THEN the row shows a red alert and an amber flag, the case page repeats them at the top,
         and the DICOM downloads byte for byte as an attachment with safe headers
    """
    case = submitted_case()
    base = live_server.url

    log_in(page, base, personas.clinician.email)
    page.goto(f"{base}/admin/intake/case/")

    row = page.locator("#result_list tbody tr", has_text=case.reference)
    expect(row).to_have_count(1)
    expect(row.locator(".sc-badge-alert")).to_contain_text("Active infection")
    expect(row.locator(".sc-badge-caution", has_text="Takes anticoagulants")).to_be_visible()
    expect(row.locator(".field-documents_display")).to_have_text("1 / 0")  # one MRI, no records

    row.get_by_role("link", name=case.reference).click()
    summary = page.locator("#case-summary")
    expect(summary.get_by_role("alert")).to_contain_text("Active infection")
    expect(summary).to_contain_text("1 DICOM")
    expect(page.get_by_test_id("summary-status")).to_have_text("Clinician review")

    with page.expect_download() as info:
        page.locator("a.sc-download").first.click()
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = case.documents.get(kind="dicom")
    with document.file.open("rb") as stored:
        assert saved.read_bytes() == stored.read()  # byte for byte what we store
    assert saved.read_bytes()[128:132] == b"DICM"
    assert download.suggested_filename == f"{case.reference}-mri-{document.pk}.dcm"

    href = page.locator("a.sc-download").first.get_attribute("href")
    response = page.context.request.get(f"{base}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/dicom"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in response.headers["cache-control"]

    # Assign it and move it on from the page's own buttons.
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".messagelist")).to_contain_text("assigned to you")
    page.select_option("#sc-to-status", "in_review")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_test_id("summary-status")).to_have_text("In review")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_clinic_user_cannot_open_the_admin_download(
    browser_ready: None, live_server: Any, page: Page, personas: Any
) -> None:
    case = submitted_case()
    document = case.documents.get(kind="dicom")
    base = live_server.url
    log_in(page, base, personas.clinic_a_staff.email)
    response = page.goto(f"{base}/admin/intake/case/{case.pk}/documents/{document.pk}/download/")
    assert response is not None
    assert response.status == 404
    assert "DICM" not in page.content()
