"""On a phone, in Spanish and in Arabic: the intake with a photo picked and sent straight away.

The journey fills each step by field name and value (the labels are in the
patient's language), as a patient would with the answers of wizard_data.
"""

from __future__ import annotations

import io
import os
import time
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Browser, Page, ViewportSize, expect

from intake.models import Case, CaseStatus
from tests.conftest import SmtpSink

from .factories import make_condition
from .wizard_data import step_answers

PHONE: ViewportSize = {"width": 360, "height": 740}
EMAIL = "noor@patients.example"
ENGLISH_SUBJECT = "We have your assessment (%(ref)s)"


def phone_photo(path: Path) -> Path:
    """A phone-sized JPEG (noise does not compress: about 2 MB, so the upload takes a while)."""
    from PIL import Image

    image = Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return path


def _fill(page: Page, answers: dict[str, Any]) -> None:
    """Answer a step by field name; follow-up questions are answered once they show."""
    for name, value in answers.items():
        if name == "website":  # the honeypot stays empty
            continue
        fields = page.locator(f'[name="{name}"]')
        if fields.count() == 0:
            continue
        first = fields.first
        kind = first.get_attribute("type") or first.evaluate("e => e.tagName.toLowerCase()")
        if kind == "checkbox" and value == "on":  # a single yes/no box
            first.check()
        elif kind in {"radio", "checkbox"}:
            for v in value if isinstance(value, list) else [value]:
                box = page.locator(f'[name="{name}"][value="{v}"]')
                if box.is_visible():
                    box.check()
        elif kind == "select":
            if first.is_visible():
                first.select_option(value)
        elif first.is_visible():
            first.fill(str(value))


def _next(page: Page, step: str) -> None:
    page.locator("#next-button").click()
    expect(page).to_have_url(f"{page.url.split('/intake/')[0]}/intake/step/{step}/")


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _html(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no HTML part")


def _patient_mail(sink: SmtpSink, timeout: float = 30.0) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for envelope, message in zip(sink.envelopes, sink.messages, strict=False):
            if EMAIL in envelope.rcpt_tos:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {EMAIL}: {[e.rcpt_tos for e in sink.envelopes]}")


def complete_intake_on_a_phone(
    page: Page, base_url: str, language: str, photo: Path, *, javascript: bool
) -> str:
    """The whole wizard in ``language`` with a photo; return the case reference."""
    page.goto(f"{base_url}/intake/")
    # the phone's own language (Accept-Language) chooses the site's
    expect(page.locator("html")).to_have_attribute("lang", language)

    condition = make_condition(
        name="Knee osteoarthritis", slug="knee-osteoarthritis", category="orthopedic"
    )
    answers = step_answers(condition)
    answers["about"] = {**answers["about"], "email": EMAIL, "language": language}
    _fill(page, answers["about"])
    _next(page, "condition")
    _fill(page, answers["condition"])
    _next(page, "history")
    _fill(page, answers["history"])
    _next(page, "screening")
    _fill(page, answers["screening"])
    _next(page, "records")
    _no_sideways_scroll(page)

    # Pick a photo and press "Save and continue" at once, as people do.
    if javascript:
        # A phone's uplink (about 4 Mbit/s): the photo is still on its way when they press.
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 40,
                "downloadThroughput": 2_000_000,
                "uploadThroughput": 500_000,
            },
        )
    page.locator("#id_files").set_input_files(str(photo))
    if javascript:
        # picking started the upload, with a progress bar
        expect(page.locator("[data-upload-progress]")).to_be_visible()
    page.locator("#next-button").click()
    if javascript:
        # the press waits for the upload instead of sending the photo a second time
        waiting = page.locator("#records-form").get_attribute("data-waiting-text")
        expect(page.locator("[data-upload-message]")).to_have_text(waiting or "")
    expect(page).to_have_url(f"{base_url}/intake/step/plans/", timeout=60_000)

    _fill(page, answers["plans"])
    _next(page, "consent")
    _fill(page, answers["consent"])
    _next(page, "review")
    _no_sideways_scroll(page)
    page.locator("#submit-button").click()
    expect(page).to_have_url(f"{base_url}/intake/done/")
    reference = page.locator("#case-reference").inner_text().strip()
    assert reference.startswith("SC-") and len(reference) == 12
    return reference


@pytest.mark.browser
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "javascript"),
    [("ar", True), ("es", True), ("es", False)],
    ids=["arabic", "spanish", "spanish-without-javascript"],
)
def test_a_patient_on_a_phone_sends_a_photo_with_save_and_continue_and_hears_back_in_their_language(
    browser_ready: None,
    celery_worker: object,
    smtp_sink: SmtpSink,
    live_server: Any,
    browser: Browser,
    tmp_path: Path,
    language: str,
    javascript: bool,
) -> None:
    """
    GIVEN a new patient on a 360 x 740 phone who reads Arabic or Spanish
    WHEN they pick a photo on the records step and press "Save and continue" straight away
         (with JavaScript the upload starts on picking; without, the same POST carries it),
         then finish the intake
    THEN the case holds that one photo, and the acknowledgement reaches the SMTP server in
         their language
    """
    context = browser.new_context(
        java_script_enabled=javascript, viewport=PHONE, locale=language, is_mobile=True
    )
    try:
        page = context.new_page()
        photo = phone_photo(tmp_path / "IMG_2041.jpg")
        reference = complete_intake_on_a_phone(
            page, live_server.url, language, photo, javascript=javascript
        )
    finally:
        context.close()

    case = Case.objects.get(reference=reference)
    assert case.status == CaseStatus.NEW
    # exactly one: the held submit must not send the photo a second time
    assert list(case.documents.values_list("kind", "original_name")) == [("jpeg", "IMG_2041.jpg")]
    assert case.patient.language == language

    message = _patient_mail(smtp_sink)
    with translation.override(language):
        expected = translation.gettext(ENGLISH_SUBJECT) % {"ref": reference}
    assert expected != ENGLISH_SUBJECT % {"ref": reference}, "the catalogue lacks the subject"
    assert _subject(message) == expected
    html = _html(message)
    assert f'lang="{language}"' in html
    assert ('dir="rtl"' in html) == (language == "ar")
