"""Regressions from the patient-side security review (hostile input, zones, logs, a11y)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client

from core.models import Notification, NotificationStatus
from core.notifications.services import notify, outbox_drain
from intake.models import Case, DocumentType, TokenPurpose
from intake.services import access_token_issue
from tests.conftest import Personas

from .factories import make_document, make_draft
from .files import all_text
from .wizard_data import fill_wizard, post_step, step_answers


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["%00", "a%00b", "..%2F", "%E2%80%AE"])
def test_a_malformed_clinic_parameter_is_ignored_not_a_server_error(
    client: Client,
    knee,
    slug: str,  # type: ignore[no-untyped-def]
) -> None:
    response = client.get(f"/intake/?clinic={slug}")
    assert response.status_code == 200
    assert 'id="preferred-clinic"' not in response.content.decode()


@pytest.mark.django_db
def test_a_valid_clinic_parameter_still_preselects_the_clinic(
    client: Client,
    personas: Personas,
    knee,  # type: ignore[no-untyped-def]
) -> None:
    response = client.get(f"/intake/?clinic={personas.clinic_a.slug}")
    assert 'id="preferred-clinic"' in response.content.decode()


@pytest.mark.django_db
def test_a_country_or_language_posted_many_times_is_stored_once(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    plans = step_answers(knee)["plans"]
    response = post_step(client, "plans", {**plans, "countries_accepted": ["MX"] * 500 + ["CO"]})
    assert response.status_code == 302
    about = step_answers(knee)["about"]
    response = post_step(client, "about", {**about, "spoken_languages": ["en"] * 500 + ["es"]})
    assert response.status_code == 302
    case = Case.objects.select_related("patient").get()
    assert case.countries_accepted == ["MX", "CO"]
    assert case.patient.spoken_languages == ["en", "es"]


def _tag(html: str, name: str) -> str:
    """The opening tag of the input named ``name``."""
    at = html.index(f'name="{name}"')
    return html[html.rindex("<", 0, at) : html.index(">", at)]


@pytest.mark.django_db
def test_the_first_step_tells_browsers_what_to_fill_in(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/intake/").content.decode()
    for name, purpose in [
        ("full_name", "name"),
        ("email", "email"),
        ("phone", "tel"),
        ("date_of_birth", "bday"),
        ("country", "country"),
    ]:
        assert f'autocomplete="{purpose}"' in _tag(html, name), name
    assert 'type="tel"' in _tag(html, "phone") and 'inputmode="tel"' in _tag(html, "phone")
    lost = client.get("/intake/lost-link/").content.decode()
    assert 'autocomplete="email"' in _tag(lost, "email")


def _document_at(case: Case, when: dt.datetime) -> None:
    doc = make_document(case=case, doc_type=DocumentType.LAB, original_name="zone.pdf")
    type(doc).objects.filter(pk=doc.pk).update(uploaded_at=when)


@pytest.mark.django_db
def test_the_case_page_shows_times_in_the_patients_zone_before_the_browser_reports_one(
    bob_case: Case, case_client: Callable[[Case], Client]
) -> None:
    """
    GIVEN Bob (America/Toronto) opens his emailed link for the first time (no tz cookie yet)
    WHEN the page lists a document uploaded at 15:00 UTC
    THEN it shows 10 a.m., his time, not 3 p.m. UTC
    """
    _document_at(bob_case, dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC))
    browser = case_client(bob_case)
    browser.cookies.pop("tz", None)
    html = browser.get(f"/intake/case/{bob_case.reference}/").content.decode()
    assert "Nov. 20, 2026, 10 a.m." in html
    assert "Nov. 20, 2026, 3 p.m." not in html


@pytest.mark.django_db
def test_the_browsers_zone_wins_once_known(
    bob_case: Case, case_client: Callable[[Case], Client]
) -> None:
    _document_at(bob_case, dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC))
    browser = case_client(bob_case)
    browser.cookies["tz"] = "Asia/Tokyo"
    html = browser.get(f"/intake/case/{bob_case.reference}/").content.decode()
    assert "Nov. 21, 2026, midnight" in html


@pytest.mark.django_db
def test_a_refused_patient_address_is_not_retried_and_not_put_in_logs(
    alice_case: Case, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.core.outbox_kinds.CodeBackend"  # ...+550@ is refused
    address = "alice+550@patients.example"
    type(alice_case.patient).objects.filter(pk=alice_case.patient_id).update(email=address)
    notify(
        kind="intake.acknowledgement",
        dedupe_key=f"intake.acknowledgement:{alice_case.pk}",
        about=alice_case,
    )
    report = outbox_drain()
    assert (report.retried, report.failed) == (0, 1)  # failed at once, never retried
    assert report.sent == 1  # the staff alert
    row = Notification.objects.get(kind="intake.acknowledgement")
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert row.last_error == "SMTP 550 recipient refused"
    # Staff hear once, without the address.
    alert = Notification.objects.get(kind="core.delivery_failed")
    assert alert.status == NotificationStatus.SENT
    assert address not in all_text(mail.outbox[-1])
    for text in [row.last_error, *(r.getMessage() for r in caplog.records)]:
        assert address not in text


@pytest.mark.django_db
def test_after_withdrawal_the_browser_forgets_the_case_reference(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    client.post("/intake/step/review/", {"nav": "submit"})
    case = Case.objects.get()
    response = client.post(f"/intake/case/{case.reference}/withdraw/", {"confirm": "on"})
    assert response.status_code == 200
    assert "intake_done_reference" not in client.session
    assert client.get("/intake/done/")["Location"] == "/intake/"
    assert client.get(f"/intake/case/{case.reference}/").status_code == 404


@pytest.mark.django_db
def test_a_resume_link_on_a_shared_browser_never_shows_the_previous_patients_typing(
    client: Client,
    knee,  # type: ignore[no-untyped-def]
) -> None:
    """
    GIVEN patient A typed symptoms on the condition step and pressed Back with an error
    WHEN patient B, on the same browser, opens B's own resume link
    THEN B's condition step shows B's answers, nothing A typed
    """
    answers = step_answers(knee)
    post_step(client, "about", answers["about"])
    post_step(client, "condition", answers["condition"])
    typed = {**answers["condition"], "severity": "99", "symptoms": "A-secret-symptoms"}
    assert post_step(client, "condition", typed, nav="back").status_code == 302
    other = make_draft(draft_step="history", symptoms="B own symptoms")
    raw = access_token_issue(case=other, purpose=TokenPurpose.RESUME, acting_user=None)
    assert client.post(f"/intake/resume/{raw}/").status_code == 302
    html = client.get("/intake/step/condition/").content.decode()
    assert "A-secret-symptoms" not in html
    assert "B own symptoms" in html


@pytest.mark.django_db
def test_back_with_huge_field_names_stores_nothing_in_the_session(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    answers = step_answers(knee)
    post_step(client, "about", answers["about"])
    post_step(client, "condition", answers["condition"])
    junk = {f"{i}-" + "x" * 5000: "" for i in range(10)}
    typed = {**answers["condition"], "severity": "99", **junk, "nav": "back"}
    response = client.post(
        "/intake/step/condition/",
        urlencode(typed, doseq=True),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert not client.session.get("intake_stash")


@pytest.mark.django_db
def test_out_of_range_ids_and_repeated_parameters_are_never_a_server_error(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    client: Client,
    knee,  # type: ignore[no-untyped-def]
) -> None:
    browser = case_client(alice_case)
    huge = "9" * 30
    assert browser.get(f"/intake/case/{alice_case.reference}/documents/{huge}/").status_code == 404
    assert client.get(f"/intake/step/records/documents/{huge}/").status_code == 404
    shared = browser.post(
        f"/intake/case/{alice_case.reference}/share/", {"clinic": [huge, "1"], "action": "grant"}
    )
    assert shared.status_code == 302
    assert client.get("/intake/?clinic=a&clinic=b").status_code == 200


@pytest.mark.django_db
def test_opening_the_intake_creates_no_session_for_a_visitor(client: Client) -> None:
    from django.contrib.sessions.models import Session

    response = client.get("/intake/")
    assert response.status_code == 200
    assert Session.objects.count() == 0
    assert "sessionid" not in response.cookies
