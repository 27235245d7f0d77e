"""Browser journeys other tests reuse (the staff browser test starts from a patient's case).

reference = complete_intake_as_new_patient(page, live_server.url, tmp_path)
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from .files import dicom_bytes, jpeg_bytes, pdf_bytes


def _group(page: Page, legend: str) -> Locator:
    """A fieldset by the start of its legend (the legend also says "required")."""
    return page.get_by_role("group", name=re.compile("^" + re.escape(legend)))


def _answer(page: Page, legend: str, choice: str) -> None:
    _group(page, legend).get_by_label(choice, exact=True).check()


def _next(page: Page, expect_step: str) -> None:
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("h1")).to_have_text(expect_step)


def make_patient_files(directory: Path) -> dict[str, Path]:
    """A real PDF, JPEG and DICOM on disk, as a patient would have them."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "pdf": directory / "gp-letter.pdf",
        "jpeg": directory / "knee-xray.jpg",
        "dicom": directory / "IM000001",  # DICOM CDs often have no extension
    }
    files["pdf"].write_bytes(pdf_bytes("Referral letter"))
    files["jpeg"].write_bytes(jpeg_bytes((320, 240)))
    files["dicom"].write_bytes(dicom_bytes(pixels=64))
    return files


def upload_document(page: Page, path: Path, doc_type_label: str, *, expected_count: int) -> None:
    page.get_by_label("What are these files?").select_option(label=doc_type_label)
    # picking the file uploads it at once (htmx, with a progress bar); the list refreshes in place
    page.locator("#id_files").set_input_files(str(path))
    expect(page.locator("#document-list li")).to_have_count(expected_count, timeout=20_000)
    expect(page.locator("#arrived-list")).to_contain_text(path.name)


def complete_intake_as_new_patient(
    page: Page,
    base_url: str,
    files_dir: Path,
    *,
    condition: str = "Knee osteoarthritis",
    category: str = "Orthopedic",
    full_name: str = "Dana Doe",
    email: str = "dana@patients.example",
    clinic_slug: str | None = None,
) -> str:
    """Walk the whole wizard as a new patient with real files; return the case reference."""
    files = make_patient_files(files_dir)
    page.goto(f"{base_url}/intake/" + (f"?clinic={clinic_slug}" if clinic_slug else ""))
    expect(page.locator("h1")).to_have_text("About you")
    page.get_by_label("Full name").fill(full_name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Phone number").fill("+1 415 555 0100")
    page.get_by_label("Date of birth").fill("1961-07-14")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Country of residence").select_option("US")
    page.get_by_label("Time zone").select_option("America/Los_Angeles")
    page.get_by_label("Preferred language").select_option("en")
    _group(page, "Languages you speak").get_by_label("English", exact=True).check()
    _next(page, "Your condition")

    page.get_by_label("Area of your condition").select_option(label=category)
    page.get_by_label("Condition", exact=True).select_option(label=condition)
    expect(page.get_by_label("Your condition, in your own words")).to_be_hidden()
    _answer(page, "How long have you had it?", "1 to 3 years")
    page.get_by_label("How severe is it now, from 0 to 10?").fill("7")
    page.get_by_label("How does it affect your daily life?").fill(
        "Stairs are hard; I stopped hiking."
    )
    page.get_by_label("Your main symptoms").fill("Pain and stiffness in the right knee.")
    page.get_by_label("What do you hope treatment would change?").fill("Hike again without pain.")
    _answer(page, "Has a doctor confirmed the diagnosis?", "Yes")
    _next(page, "Medical history")

    page.get_by_label("All medicines and supplements you take now").fill("Vitamin D")
    expect(page.get_by_label("Which, and how often?")).to_be_hidden()
    _answer(page, "Do you take NSAIDs", "Yes")
    expect(page.get_by_label("Which, and how often?")).to_be_visible()
    page.get_by_label("Which, and how often?").fill("Ibuprofen 400 mg most days")
    for legend in (
        "Do you take immunosuppressants",
        "Do you take anticoagulants",
        "Have you had stem-cell or PRP treatment before?",
    ):
        _answer(page, legend, "No")
    page.get_by_label("Allergies").fill("Penicillin")
    _next(page, "Health screening")

    for legend in (
        "Do you have an infection right now",
        "Are you pregnant",
        "Do you have a bleeding disorder",
    ):
        _answer(page, legend, "No")
    expect(page.get_by_label("Which cancer?")).to_be_hidden()
    _answer(page, "Have you ever had cancer?", "No, never")
    _answer(page, "Is your immune system weakened?", "No")
    _answer(page, "Do you smoke?", "Never smoked")
    _answer(page, "How much alcohol do you drink?", "Up to 7 drinks a week")
    _next(page, "Records and imaging")

    upload_document(page, files["pdf"], "Medical record or doctor's letter", expected_count=1)
    upload_document(page, files["jpeg"], "X-ray", expected_count=2)
    upload_document(page, files["dicom"], "MRI", expected_count=3)
    _next(page, "Your plans")

    page.get_by_label("Budget from (US dollars)").fill("3000")
    page.get_by_label("Budget up to (US dollars)").fill("15000")
    countries = _group(page, "Countries you would travel to")
    countries.get_by_label("Mexico", exact=True).check()
    countries.get_by_label("Colombia", exact=True).check()
    _answer(page, "When would you like to travel?", "In 3 to 6 months")
    _answer(page, "Would someone travel with you?", "Yes")
    _answer(page, "Would you like help with visas or travel?", "No")
    _next(page, "Privacy and consent")

    page.get_by_label("I have read the privacy notice").check()
    page.get_by_label("I agree that you share my case").check()
    _next(page, "Check and send")

    expect(page.locator("#review-condition")).to_be_visible()
    page.get_by_role("button", name="Send my assessment").click()
    expect(page.locator("h1")).to_have_text("Thank you. We have your assessment.")
    reference = page.locator("#case-reference").inner_text().strip()
    assert reference.startswith("SC-") and len(reference) == 12
    return reference
