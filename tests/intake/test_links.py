"""Magic links: hashed, expiring, never consumed by a GET, one answer for every bad link."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent, Notification
from core.notifications.services import outbox_drain
from intake.models import AccessToken, Case, CaseStatus, TokenPurpose
from intake.services import (
    access_token_issue,
    case_withdraw,
    intake_submit,
    resume_link_request,
)
from tests.conftest import Personas

from .factories import make_case, make_token
from .files import html_part
from .wizard_data import fill_wizard, post_step, step_answers

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"http://[^\s\"<>]+/intake/(?:resume|c)/[A-Za-z0-9_-]+/")


def _link_from_mail() -> str:
    return LINK_RE.findall(str(mail.outbox[-1].body))[0].split("127.0.0.1:8000", 1)[-1]


def test_a_patient_resumes_the_draft_on_another_device(
    client: Client,
    knee,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """
    GIVEN a patient who answered the first two steps on their phone
    WHEN they ask for a link, a mail scanner opens it, and they open it on their laptop
    THEN the scanner's GET changes nothing, and the laptop's POST continues at the next step
    """
    answers = step_answers(knee)
    post_step(client, "about", answers["about"])
    post_step(client, "condition", answers["condition"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/intake/email-me-a-link/", {"step": "history"})
    assert response.status_code == 302 and len(callbacks) == 1  # the dispatcher's nudge
    request = Notification.objects.get(kind="intake.resume_link")
    # The link is issued when the message is sent, not when it is asked for.
    assert request.recipient_address == "" and not AccessToken.objects.exists()
    assert AuditEvent.objects.filter(action="intake.link_requested").count() == 1
    assert outbox_drain().sent == 1
    assert mail.outbox[-1].to == ["dana@patients.example"]
    path = _link_from_mail()
    token = AccessToken.objects.get(purpose=TokenPurpose.RESUME)
    assert path.split("/")[-2] not in token.token_hash  # only the hash is stored
    assert token.notification == request

    scanner = Client()
    landing = scanner.get(path)
    assert landing.status_code == 200 and b"Dana" not in landing.content
    assert b"Pain when walking" not in landing.content
    token.refresh_from_db()
    assert token.last_used_at is None and token.revoked_at is None

    laptop = Client()
    opened = laptop.post(path)
    assert opened["Location"] == "/intake/step/history/"
    html = laptop.get("/intake/step/condition/").content.decode()
    assert "Pain when walking." in html
    # the link still works (a GET never consumed it, and a POST does not either)
    assert Client().get(path).status_code == 200


def _bad_link_pages(case: Case, other: Case) -> dict[str, str]:
    good = "A" * 43
    make_token(case, TokenPurpose.RESUME, good)
    expired = "E" * 43
    make_token(case, TokenPurpose.CASE, expired, expires_in=datetime.timedelta(seconds=-1))
    case_purpose = "C" * 43
    make_token(case, TokenPurpose.CASE, case_purpose)
    return {
        "tampered": f"/intake/resume/{good[:-1]}B/",
        "expired": f"/intake/c/{expired}/",
        "wrong purpose": f"/intake/resume/{case_purpose}/",
        "unknown": f"/intake/c/{'Z' * 43}/",
        "too short": "/intake/c/abc/",
        "too long": f"/intake/c/{'Q' * 300}/",
    }


def test_every_bad_link_gets_the_same_page_with_no_case_data(
    alice_case: Case, bob_case: Case
) -> None:
    pages = _bad_link_pages(alice_case, bob_case)
    bodies = set()
    for label, path in pages.items():
        for method in ("get", "post"):
            response = getattr(Client(), method)(path)
            assert response.status_code == 404, (label, method)
            body = response.content.decode()
            assert "This link is not valid" in body
            for secret in ("Alice", "alice@", alice_case.reference, "Knee"):
                assert secret not in body, (label, secret)
            bodies.add(re.sub(r'value="[^"]+"', "", body))  # CSRF tokens differ
    assert len(bodies) == 1


def test_a_case_link_stops_working_after_withdrawal(alice_case: Case) -> None:
    raw = access_token_issue(case=alice_case, purpose=TokenPurpose.CASE, acting_user=None)
    browser = Client()
    assert browser.post(f"/intake/c/{raw}/")["Location"] == f"/intake/case/{alice_case.reference}/"
    assert browser.get(f"/intake/case/{alice_case.reference}/").status_code == 200
    case_withdraw(case=alice_case, acting_user=None)
    for response in (
        Client().get(f"/intake/c/{raw}/"),
        Client().post(f"/intake/c/{raw}/"),
        browser.get(f"/intake/case/{alice_case.reference}/"),
    ):
        assert response.status_code == 404
        body = re.sub(r'name="next" type="hidden" value="[^"]*"', "", response.content.decode())
        assert alice_case.reference not in body and "Alice" not in body


def test_a_link_for_another_case_opens_only_that_case(alice_case: Case, bob_case: Case) -> None:
    raw = access_token_issue(case=bob_case, purpose=TokenPurpose.CASE, acting_user=None)
    browser = Client()
    browser.post(f"/intake/c/{raw}/")
    response = browser.get(f"/intake/case/{alice_case.reference}/")
    assert response.status_code == 404 and "Alice" not in response.content.decode()


def test_a_resume_link_ends_when_the_draft_is_submitted(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    case = Case.objects.get()
    raw = access_token_issue(case=case, purpose=TokenPurpose.RESUME, acting_user=None)
    assert Client().get(f"/intake/resume/{raw}/").status_code == 200
    intake_submit(case_id=case.pk)
    assert Client().get(f"/intake/resume/{raw}/").status_code == 404
    assert AccessToken.objects.get(purpose=TokenPurpose.RESUME).revoked_at is not None


def test_resume_links_expire(client: Client, knee, settings) -> None:  # type: ignore[no-untyped-def]
    post_step(client, "about", step_answers(knee)["about"])
    case = Case.objects.get()
    raw = access_token_issue(case=case, purpose=TokenPurpose.RESUME, acting_user=None)
    token = AccessToken.objects.get()
    assert token.expires_at - token.created_at == datetime.timedelta(
        days=settings.INTAKE_RESUME_LINK_DAYS
    )
    AccessToken.objects.update(
        created_at=timezone.now() - datetime.timedelta(days=30),
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    assert Client().get(f"/intake/resume/{raw}/").status_code == 404


def test_the_link_email_is_the_patients_language(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    post_step(client, "about", {**step_answers(knee)["about"], "language": "es"})
    assert resume_link_request(case=Case.objects.get()) is not None
    outbox_drain()
    assert '<html lang="es" dir="ltr">' in html_part(mail.outbox[-1])
    assert "evaluación" in mail.outbox[-1].subject.lower()


def test_each_request_for_a_link_is_its_own_message(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    post_step(client, "about", step_answers(knee)["about"])
    case = Case.objects.get()
    first, second = resume_link_request(case=case), resume_link_request(case=case)
    assert first is not None and second is not None and first.pk != second.pk
    assert outbox_drain().sent == 2
    assert AccessToken.objects.filter(revoked_at__isnull=True).count() == 2  # one per message


def test_no_resume_link_goes_for_a_case_that_is_no_longer_a_draft(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    case = Case.objects.get()
    queued = resume_link_request(case=case)
    intake_submit(case_id=case.pk)
    assert resume_link_request(case=Case.objects.get()) is None
    assert queued is not None
    outbox_drain()
    queued.refresh_from_db()
    assert (queued.status, queued.last_error) == ("cancelled", "no longer wanted")
    assert "Your link to continue your assessment" not in [m.subject for m in mail.outbox]
    assert not AccessToken.objects.filter(notification=queued).exists()


def test_a_lost_link_request_answers_the_same_for_known_and_unknown_addresses(
    alice_case: Case,
) -> None:
    known = Client().post("/intake/lost-link/", {"email": "ALICE@patients.example"})
    unknown = Client().post("/intake/lost-link/", {"email": "nobody@patients.example"})
    strip = lambda r: re.sub(r'value="[^"]+"', "", r.content.decode())  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)
    assert list(Notification.objects.values_list("kind", flat=True)) == ["intake.case_link"]
    assert outbox_drain().sent == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@patients.example"]
    path = _link_from_mail()
    browser = Client()
    assert browser.post(path)["Location"] == f"/intake/case/{alice_case.reference}/"


def test_it_links_an_old_open_case_before_newer_ended_ones(alice_case: Case) -> None:
    """
    GIVEN Alice's open case, her oldest, and five closed or withdrawn cases since
    WHEN she asks for her lost links
    THEN five links go: the open case's, then the four newest ended cases', newest first
    """
    start = alice_case.created_at
    ended = [
        make_case(
            patient=alice_case.patient,
            status=CaseStatus.WITHDRAWN if n % 2 else CaseStatus.CLOSED,
            created_at=start + datetime.timedelta(days=n),
        )
        for n in range(1, 6)
    ]
    Client().post("/intake/lost-link/", {"email": "alice@patients.example"})
    linked = [
        int(about_id)
        for about_id in Notification.objects.order_by("pk").values_list("about_id", flat=True)
    ]
    assert linked == [alice_case.pk, *[c.pk for c in reversed(ended[1:])]]


@pytest.mark.usefixtures("rate_window")
def test_link_requests_are_rate_limited(settings, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    settings.INTAKE_LINK_RATE_LIMIT = "2/d"
    codes = [
        Client()
        .post("/intake/lost-link/", {"email": "x@y.example"}, REMOTE_ADDR="192.0.2.1")
        .status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]


@pytest.mark.usefixtures("rate_window")
def test_the_resume_link_button_is_rate_limited(client: Client, knee, settings) -> None:  # type: ignore[no-untyped-def]
    settings.INTAKE_LINK_RATE_LIMIT = "1/d"
    post_step(client, "about", step_answers(knee)["about"])
    assert client.post("/intake/email-me-a-link/").status_code == 302
    assert client.post("/intake/email-me-a-link/").status_code == 429


def test_a_link_request_honeypot_sends_nothing(personas: Personas, alice_case: Case) -> None:
    response = Client().post(
        "/intake/lost-link/", {"email": "alice@patients.example", "website": "x"}
    )
    assert response.status_code == 200 and not Notification.objects.exists()
    assert outbox_drain().sent == 0 and not mail.outbox


def test_a_case_link_asked_for_before_the_withdrawal_is_not_sent(alice_case: Case) -> None:
    Client().post("/intake/lost-link/", {"email": "alice@patients.example"})
    case_withdraw(case=alice_case, acting_user=None)
    assert outbox_drain().cancelled == 1 and not mail.outbox
    # One asked for afterwards is sent: it opens only "Your data"
    # (tests/intake/test_rights_closed_cases.py).
    Client().post("/intake/lost-link/", {"email": "alice@patients.example"})
    assert outbox_drain().sent == 1


@pytest.mark.usefixtures("rate_window")
def test_guessing_case_links_is_rate_limited(client: Client) -> None:
    """Sixty opens a minute per client, then 429 (GETs count: a guesser needs no POST)."""
    import secrets

    codes = [client.get(f"/intake/c/{secrets.token_urlsafe(32)}/").status_code for _ in range(65)]
    assert codes[:60] == [404] * 60
    assert set(codes[60:]) == {429}
