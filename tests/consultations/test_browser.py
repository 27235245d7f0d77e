"""The whole journey in a real browser, with a real worker and a real SMTP server."""

from __future__ import annotations

import re
import time
from datetime import datetime
from email.message import Message

import pytest
from django.conf import settings
from django.test import Client
from icalendar import Calendar
from playwright.sync_api import Page, expect

from consultations.forms import slot_value
from consultations.models import Booking, BookingStatus
from consultations.services import booking_create
from consultations.slots import Slot
from intake.models import Case, TokenPurpose
from intake.services import access_token_issue
from tests.conftest import Personas, SmtpSink

from .conftest import Calendars, host_time
from .factories import share


def _mail_for(
    sink: SmtpSink, to: str, subject: str, about: str = "Doctor's video call", timeout: float = 30
) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sink.messages:
            if (
                message["To"] == to
                and subject in str(message["Subject"])
                and about in _text(message)
            ):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no {subject!r} to {to}: {[m['Subject'] for m in sink.messages]}")


def _value(start: datetime) -> str:
    return slot_value(Slot(start, start, start))


def _invite(message: Message) -> Calendar:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            assert part.get_param("method") in ("REQUEST", "CANCEL")
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return Calendar.from_ical(payload)
    raise AssertionError("no text/calendar part")


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            return payload.decode() if isinstance(payload, bytes) else ""
    return ""


@pytest.mark.browser
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_patient_books_then_reschedules_from_the_email_and_the_clinic_sees_it(
    browser_ready: None,
    live_server: object,
    page: Page,
    celery_worker: object,
    smtp_sink: SmtpSink,
    alice_case: Case,
    calendars: Calendars,
    personas: Personas,
) -> None:
    """
    GIVEN Alice, whose case is shared with Clínica Alfa and who spoke to the concierge already
    WHEN she books the clinic's video call from her case page
    THEN the SMTP server receives the confirmation with a valid invite (METHOD:REQUEST)
    WHEN she follows the e-mail's link and moves the call to another time, with a reason
    THEN the update arrives with the same UID and a higher SEQUENCE
    AND the clinic sees the consultation in its portal
    """
    base = live_server.url  # type: ignore[attr-defined]
    share(alice_case, personas.clinic_a)
    booking_create(
        case=alice_case,
        consultation_type=calendars.concierge_call,
        start=host_time(calendars.concierge, 2, 10),
        acting_user=None,
    )
    raw = access_token_issue(case=alice_case, purpose=TokenPurpose.CASE, acting_user=None)

    page.goto(f"{base}/intake/c/{raw}/")
    page.locator("#continue-button").click()
    expect(page.locator("#case-reference")).to_have_text(alice_case.reference)
    page.locator("#book-consultation").click()
    page.get_by_role("link", name="Choose a time").nth(0).wait_for()
    page.locator("li", has_text="Doctor's video call").get_by_role("link").click()
    page.locator(
        f'#slot-picker input[value="{_value(host_time(calendars.clinic_a, 3, 10))}"]'
    ).check()
    page.locator("#id_question").fill("Can you treat both knees in one visit?")
    page.locator("#book-submit").click()
    expect(page.locator("#consultation-list")).to_contain_text("Doctor's video call")

    booking = Booking.objects.get(host=calendars.clinic_a)
    assert booking.status == BookingStatus.CONFIRMED
    confirmation = _mail_for(smtp_sink, alice_case.patient.email, "is booked")
    first = _invite(confirmation)
    (event,) = first.walk("VEVENT")
    assert str(first["method"]) == "REQUEST"
    assert event.decoded("dtstart") == booking.start_at
    uid, sequence = str(event["uid"]), int(event.decoded("sequence"))

    link = re.search(r"https?://\S+/consultations/b/[\w-]+/", _text(confirmation))
    assert link is not None
    page.goto(link.group(0).replace(settings.SITE_URL, base))
    page.locator(
        f'#slot-picker input[value="{_value(host_time(calendars.clinic_a, 4, 11))}"]'
    ).check()
    page.locator("#id_reason").fill("My flight changed")
    page.locator("#reschedule-submit").click()
    expect(page.locator(".alert-success, .alert")).to_contain_text("new time")

    update = _mail_for(smtp_sink, alice_case.patient.email, "new time")
    (moved,) = _invite(update).walk("VEVENT")
    booking.refresh_from_db()
    assert str(moved["uid"]) == uid
    assert int(moved.decoded("sequence")) > sequence
    assert moved.decoded("dtstart") == booking.start_at

    staff = Client()
    staff.force_login(personas.clinic_a_staff)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": staff.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    page.goto(f"{base}/portal/clinica-alfa/consultations/")
    expect(page.locator("#booking-list")).to_contain_text(alice_case.reference)
