"""A patient keeps their data rights once their case is closed or withdrawn.

The case page of a closed or withdrawn case shows its state in plain words and
"Your data" (a copy, erasure), and nothing that could change the case; the
lost-link page e-mails a fresh link to it. Everything else stays open cases
only, another patient's session still gets a 404, and a draft is still refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from core.models import AuditEvent, Notification, NotificationStatus
from core.notifications.services import outbox_drain
from intake.models import (
    Case,
    CaseMessage,
    CaseStatus,
    ClinicShare,
    DataExport,
    DataExportStatus,
    ErasureRequest,
    ErasureStatus,
    Patient,
    TokenPurpose,
)
from intake.rights_selectors import data_export_token
from intake.selectors import SESSION_CASES
from intake.services import case_transition, case_withdraw
from intake.services.erasure import erasure_carry_out
from tests.conftest import Personas

from .factories import make_draft, make_token
from .files import html_part, jpeg_bytes, upload
from .rights_data import RichPatient, rich_patient

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"http://[^\s\"<>]+(/intake/c/[A-Za-z0-9_-]+/)")


def _url(case: Case, tail: str = "") -> str:
    return f"/intake/case/{case.reference}/{tail}"


def _close(case: Case, personas: Personas) -> Case:
    return case_transition(case=case, to_status=CaseStatus.CLOSED, acting_user=personas.concierge)


def _new_link_by_email(email: str) -> str:
    """What a patient does on the lost-link page; returns the path the e-mail carries."""
    mail.outbox.clear()
    response = Client().post("/intake/lost-link/", {"email": email})
    assert response.status_code == 200 and 'id="link-sent"' in response.content.decode()
    outbox_drain()
    (message,) = [m for m in mail.outbox if m.to == [email]]
    found = LINK_RE.search(str(message.body))
    assert found is not None
    return found.group(1)


def _open(path: str) -> Client:
    browser = Client()
    assert browser.get(path).status_code == 200  # the landing page: a button, nothing bound
    assert browser.post(path).status_code == 302
    return browser


def test_a_patient_downloads_the_data_of_a_withdrawn_case(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """
    GIVEN Alice withdrew her case on its page (her links stopped working)
    WHEN she asks for a new link, opens it and asks for a copy of her data
    THEN the page shows her case as withdrawn with "Your data", the ZIP downloads, and the
    e-mail saying it is ready is sent although the case is withdrawn (she asked for it)
    """
    browser = case_client(alice_case)
    withdrawn = browser.post(_url(alice_case, "withdraw/"), {"confirm": "on"})
    assert 'id="withdrawn-rights"' in withdrawn.content.decode()
    assert 'href="/intake/lost-link/"' in withdrawn.content.decode()
    assert browser.get(_url(alice_case)).status_code == 404

    fresh = _open(_new_link_by_email("alice@patients.example"))
    page = fresh.get(_url(alice_case)).content.decode()
    assert "Your case is withdrawn" in page and 'id="your-data"' in page

    with django_capture_on_commit_callbacks(execute=True):
        asked = fresh.post(_url(alice_case, "my-data/"))
    assert asked.status_code == 302 and asked["Location"] == _url(alice_case) + "#your-data"
    export = DataExport.objects.get(patient=alice_case.patient)
    assert export.status == DataExportStatus.READY
    download = _url(alice_case, f"my-data/{data_export_token(export)}/")
    assert f'href="{download}"' in fresh.get(_url(alice_case)).content.decode()
    response = fresh.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert {"data.json", "index.html"} <= set(archive.namelist())
    assert "Alice Archer" in archive.read("data.json").decode()
    assert AuditEvent.objects.filter(action="intake.data_export_downloaded").count() == 1

    outbox_drain()
    ready = Notification.objects.get(kind="intake.data_export_ready")
    assert ready.status == NotificationStatus.SENT
    (message,) = [m for m in mail.outbox if "ready" in str(m.subject)]
    assert "/intake/c/" in message.body and not message.attachments
    assert "withdraw on your case page" not in message.body  # nothing left to withdraw


def test_a_patient_asks_to_erase_a_closed_case(
    bob_case: Case,
    case_client: Callable[[Case], Client],
    personas: Personas,
) -> None:
    """
    GIVEN Bob's case page is open in his browser, and staff close his case
    WHEN he reloads it and asks us to erase his data
    THEN the page says the case is closed and what we keep, the request reaches staff,
    and staff can carry it out (a closed case holds nothing back)
    """
    browser = case_client(bob_case)
    _close(bob_case, personas)

    page = browser.get(_url(bob_case)).content.decode()
    assert "Your case is closed" in page
    assert "What we keep" in page  # the records the law makes us keep, in plain words
    assert f'action="{_url(bob_case, "erasure/")}"' in page

    response = browser.post(_url(bob_case, "erasure/"), {"erase_confirm": "on"}, follow=True)
    assert response.status_code == 200
    assert 'id="erasure-status"' in response.content.decode()
    erasure = ErasureRequest.objects.get(patient=bob_case.patient)
    assert erasure.status == ErasureStatus.REQUESTED
    assert Notification.objects.filter(kind="intake.erasure_requested").exists()

    done = erasure_carry_out(erasure=erasure, acting_user=personas.concierge)
    assert done.status == ErasureStatus.COMPLETED
    assert not Patient.objects.filter(pk=bob_case.patient_id).exists()
    assert browser.get(_url(bob_case)).status_code == 404


def test_a_withdrawn_case_whose_records_must_be_kept_says_why_on_its_page(
    personas: Personas,
) -> None:
    """
    GIVEN a patient treated a month ago (the clinic must keep the treatment record) who
    asked for erasure and then withdrew
    WHEN staff try to erase and the patient opens a fresh link
    THEN the erasure waits, and the withdrawn case's page says why and until when
    """
    rich: RichPatient = rich_patient(clinic=personas.clinic_a, staff=personas.concierge)
    case_withdraw(case=rich.case, acting_user=None)
    held = erasure_carry_out(
        erasure=rich.patient.erasure_requests.get(), acting_user=personas.concierge
    )
    assert held.status == ErasureStatus.HELD
    assert Case.objects.filter(pk=rich.case.pk).exists()

    fresh = _open(_new_link_by_email(rich.patient.email))
    page = fresh.get(_url(rich.case)).content.decode()
    assert "Your case is withdrawn" in page and 'id="erasure-status"' in page
    assert "legal retention period" in page


def test_the_lost_link_email_is_sent_for_a_withdrawn_case(alice_case: Case) -> None:
    """
    GIVEN Alice asked for a new link, then withdrew before it was sent
    WHEN the outbox runs, and she asks again afterwards
    THEN the link asked for before the withdrawal is not sent; the one asked for after it
    is, says the case has ended, offers no way to withdraw, and opens the case's page; the
    lost-link page answers exactly as it does for an unknown address
    """
    Client().post("/intake/lost-link/", {"email": "alice@patients.example"})
    case_withdraw(case=alice_case, acting_user=None)
    assert outbox_drain().cancelled == 1 and not mail.outbox

    known = Client().post("/intake/lost-link/", {"email": "alice@patients.example"})
    unknown = Client().post("/intake/lost-link/", {"email": "nobody@patients.example"})
    strip = lambda r: re.sub(r'value="[^"]+"', "", r.content.decode())  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)

    assert outbox_drain().sent == 1
    (message,) = mail.outbox
    assert message.to == ["alice@patients.example"]
    for part in (str(message.body), html_part(message)):
        assert "This case has ended" in part
        assert "withdraw on your case page" not in part
    found = LINK_RE.search(str(message.body))
    assert found is not None
    browser = _open(found.group(1))
    assert "Your case is withdrawn" in browser.get(_url(alice_case)).content.decode()


def test_a_closed_cases_page_offers_no_upload_or_booking(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    personas: Personas,
) -> None:
    """
    GIVEN Alice's case page is open in her browser, and staff close her case
    WHEN she reloads it, and tries the actions the page used to offer
    THEN it shows the state and "Your data" only; every action is refused and changes
    nothing, and her link still opens "Your data" afterwards
    """
    browser = case_client(alice_case)
    _close(alice_case, personas)

    page = browser.get(_url(alice_case)).content.decode()
    assert "Your case is closed" in page and 'id="your-data"' in page
    for action in ("upload/", "share/", "message/", "withdraw/"):
        assert _url(alice_case, action) not in page, action
    assert "/consultations/" not in page and "Upload more documents" not in page

    document = alice_case.documents.get()
    refused = [
        browser.post(
            _url(alice_case, "upload/"),
            {"doc_type": "xray", "files": [upload("k.jpg", jpeg_bytes())]},
        ),
        browser.post(
            _url(alice_case, "share/"), {"clinic": personas.clinic_a.pk, "action": "grant"}
        ),
        browser.post(_url(alice_case, "message/"), {"body": "hello"}),
        browser.post(_url(alice_case, "withdraw/"), {"confirm": "on"}),
        browser.get(_url(alice_case, f"documents/{document.pk}/")),
        browser.get(f"/consultations/case/{alice_case.reference}/book/"),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused)
    assert alice_case.documents.count() == 1 and not CaseMessage.objects.exists()
    assert not ClinicShare.objects.exists()
    assert Case.objects.get(pk=alice_case.pk).status == CaseStatus.CLOSED
    assert browser.get(_url(alice_case)).status_code == 200


def test_another_patients_closed_case_is_a_404_with_none_of_its_data(
    alice_case: Case,
    bob_case: Case,
    case_client: Callable[[Case], Client],
    personas: Personas,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    bob = case_client(bob_case)
    with django_capture_on_commit_callbacks(execute=True):
        bob.post(_url(bob_case, "my-data/"))
    export = DataExport.objects.get(patient=bob_case.patient)
    _close(bob_case, personas)
    alice = case_client(alice_case)

    for browser in (alice, Client()):
        responses = [
            browser.get(_url(bob_case)),
            browser.post(_url(bob_case, "my-data/")),
            browser.get(_url(bob_case, f"my-data/{data_export_token(export)}/")),
            browser.post(_url(bob_case, "erasure/"), {"erase_confirm": "on"}),
        ]
        for response in responses:
            assert response.status_code == 404
            assert response.get("Content-Disposition") is None
            # The language switcher sends the visitor back to the address they asked for.
            body = re.sub(
                r'name="next" type="hidden" value="[^"]*"',
                "",
                response.content.decode(errors="replace"),
            )
            for secret in (
                "Bob Baker",
                bob_case.patient.email,
                "Bob's private symptoms",
                bob_case.reference,
            ):
                assert secret not in body
    assert DataExport.objects.filter(patient=bob_case.patient).count() == 1
    assert not ErasureRequest.objects.exists()


def test_a_draft_is_still_refused(personas: Personas) -> None:
    """A case link for a draft (or for a draft withdrawn unsent) opens nothing."""
    draft = make_draft()
    raw = "D" * 43
    token = make_token(draft, TokenPurpose.CASE, raw)
    assert Client().get(f"/intake/c/{raw}/").status_code == 404
    assert Client().post(f"/intake/c/{raw}/").status_code == 404

    browser = Client()
    session = browser.session
    session[SESSION_CASES] = {draft.reference: token.pk}
    session.save()
    for response in (
        browser.get(_url(draft)),
        browser.post(_url(draft, "my-data/")),
        browser.post(_url(draft, "erasure/"), {"erase_confirm": "on"}),
    ):
        assert response.status_code == 404
    assert not DataExport.objects.exists() and not ErasureRequest.objects.exists()

    case_withdraw(case=draft, acting_user=None)  # abandoned before it was ever sent
    withdrawn_draft = make_token(draft, TokenPurpose.CASE, "W" * 43)
    assert Client().post(f"/intake/c/{'W' * 43}/").status_code == 404
    session = browser.session
    session[SESSION_CASES] = {draft.reference: withdrawn_draft.pk}
    session.save()
    assert browser.get(_url(draft)).status_code == 404
    Client().post("/intake/lost-link/", {"email": draft.patient.email})
    assert not Notification.objects.filter(kind="intake.case_link").exists()


@pytest.mark.parametrize(
    ("language", "words"), [("es", "Su caso está cerrado"), ("ar", "تم إغلاق ملفك")]
)
def test_the_closed_page_speaks_the_patients_language(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    personas: Personas,
    settings: Any,
    language: str,
    words: str,
) -> None:
    browser = case_client(alice_case)
    _close(alice_case, personas)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = browser.get(_url(alice_case)).content.decode()
    assert words in page and "Your case is closed" not in page
