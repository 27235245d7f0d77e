"""Intake e-mails through the outbox: queued with the change, sent once, in their language."""

from __future__ import annotations

import re
import smtplib
import time
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client

from core.models import Notification, NotificationStatus
from core.notifications.services import notify, outbox_drain
from intake.models import AccessToken, Case, CaseStatus, TokenPurpose
from intake.models.access import hash_token
from intake.services import case_withdraw, intake_submit
from tests.conftest import SmtpSink

from .factories import make_draft
from .files import all_text, html_part
from .wizard_data import fill_wizard

S = NotificationStatus
LINK_RE = re.compile(r"/intake/c/([A-Za-z0-9_-]+)/")


def queue_acknowledgement(case: Case) -> Notification:
    return notify(
        kind="intake.acknowledgement", dedupe_key=f"intake.acknowledgement:{case.pk}", about=case
    )


class HtmlAttributes(HTMLParser):
    """The attributes of every start tag, by tag name (a real parse, not a substring match)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, list[dict[str, str | None]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.setdefault(tag, []).append(dict(attrs))


class FailsTwiceAfterRendering(LocmemBackend):
    """The server hangs up on the first two tries, after the message (and its link) was built."""

    tries = 0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        type(self).tries += 1
        if type(self).tries <= 2:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.mark.django_db
def test_submitting_queues_both_emails_in_the_same_transaction_and_sends_nothing_yet(
    client: Client, knee: Any, django_capture_on_commit_callbacks: Any
) -> None:
    fill_wizard(client, knee)
    case = Case.objects.get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        intake_submit(case_id=case.pk)
    rows = {n.kind: n for n in Notification.objects.all()}
    assert set(rows) == {"intake.acknowledgement", "intake.new_case"}
    # No patient address on the row: the kind finds it from the case at send time.
    ack = rows["intake.acknowledgement"]
    assert (ack.recipient_user, ack.recipient_address) == (None, "")
    assert ack.dedupe_key == f"intake.acknowledgement:{case.pk}"
    assert rows["intake.new_case"].recipient_address == "concierge@concierge.example"
    assert not mail.outbox and len(callbacks) == 1  # one nudge to the dispatcher, after commit
    intake_submit(case_id=case.pk)  # a double click
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_the_acknowledgement_has_text_and_html_the_reference_and_a_working_link(
    alice_case: Case,
) -> None:
    row = queue_acknowledgement(alice_case)
    assert outbox_drain().sent == 1
    message = mail.outbox[-1]
    assert message.to == ["alice@patients.example"]
    assert alice_case.reference in message.subject
    html = html_part(message)
    assert "What happens next" in message.body and "What happens next" in html
    link = LINK_RE.search(str(message.body))
    assert link and link.group(0) in html
    browser = Client()
    assert browser.post(link.group(0))["Location"] == f"/intake/case/{alice_case.reference}/"
    token = AccessToken.objects.get(token_hash=hash_token(link.group(1)))
    assert token.notification_id == row.pk
    # The same business event never queues a second message.
    queue_acknowledgement(alice_case)
    assert outbox_drain().sent == 0 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_patient_mail_says_why_it_came_and_how_to_stop_it(alice_case: Case) -> None:
    queue_acknowledgement(alice_case)
    outbox_drain()
    message = mail.outbox[-1]
    case_link = LINK_RE.search(str(message.body))
    assert case_link
    for part in (str(message.body), html_part(message)):
        assert "You get this because you started an assessment with us." in part
        assert "To stop, withdraw on your case page" in part
    assert f"To stop, withdraw on your case page: http://127.0.0.1:8000{case_link.group(0)}" in (
        str(message.body)
    )


@pytest.mark.django_db
def test_the_acknowledgement_is_in_the_patients_language(alice_case: Case) -> None:
    alice_case.patient.language = "es"
    alice_case.patient.save()
    queue_acknowledgement(alice_case)
    outbox_drain()
    assert '<html lang="es" dir="ltr">' in html_part(mail.outbox[-1])


@pytest.mark.django_db
def test_an_arabic_patient_gets_the_email_right_to_left(alice_case: Case) -> None:
    alice_case.patient.language = "ar"
    alice_case.patient.save()
    queue_acknowledgement(alice_case)
    outbox_drain()
    parsed = HtmlAttributes()
    parsed.feed(html_part(mail.outbox[-1]))
    [root] = parsed.tags["html"]
    assert (root["lang"], root["dir"]) == ("ar", "rtl")
    assert any(div.get("dir") == "rtl" for div in parsed.tags["div"])
    assert mail.outbox[-1].extra_headers["Content-Language"] == "ar"


@pytest.mark.django_db
def test_a_case_in_clinician_review_is_told_a_doctor_reads_it_first(alice_case: Case) -> None:
    Case.objects.filter(pk=alice_case.pk).update(status=CaseStatus.CLINICIAN_REVIEW)
    queue_acknowledgement(alice_case)
    outbox_drain()
    assert "doctor's view first" in mail.outbox[-1].body


@pytest.mark.django_db
def test_the_staff_notice_carries_only_the_reference_and_an_admin_link(
    alice_case: Case, settings: Any
) -> None:
    notify(
        kind="intake.new_case",
        dedupe_key=f"intake.new_case:{alice_case.pk}",
        about=alice_case,
        to=settings.CONCIERGE_EMAIL,
    )
    outbox_drain()
    message = mail.outbox[-1]
    assert message.to == [settings.CONCIERGE_EMAIL]
    everything = all_text(message)
    assert alice_case.reference in everything
    assert f"/admin/intake/case/{alice_case.pk}/change/" in everything
    assert "You get this because you work on the concierge team." in everything
    for phi in ("Alice", "Archer", "alice@", "Knee", "knee", "1968", "walk"):
        assert phi not in everything, phi


@pytest.mark.django_db
def test_mail_about_a_withdrawn_or_draft_case_is_cancelled_not_sent(alice_case: Case) -> None:
    ack = queue_acknowledgement(alice_case)
    draft_notice = notify(
        kind="intake.new_case",
        dedupe_key="intake.new_case:draft",
        about=make_draft(),
        to="concierge@concierge.example",
    )
    case_withdraw(case=alice_case, acting_user=None)
    report = outbox_drain()
    assert (report.sent, report.cancelled) == (0, 2)
    assert not mail.outbox
    for row in (ack, draft_notice):
        row.refresh_from_db()
        assert (row.status, row.last_error) == (S.CANCELLED, "no longer wanted")
    assert not AccessToken.objects.filter(case=alice_case, purpose=TokenPurpose.CASE).exists()


@pytest.mark.django_db
def test_a_retried_send_leaves_one_live_link_per_message(alice_case: Case, settings: Any) -> None:
    """
    GIVEN an acknowledgement whose send fails twice after its link was issued
    WHEN the outbox tries again until it goes
    THEN three links were issued for it, two are revoked, and the one that works is the sent one
    """
    settings.EMAIL_BACKEND = "tests.intake.test_emails.FailsTwiceAfterRendering"
    FailsTwiceAfterRendering.tries = 0
    row = queue_acknowledgement(alice_case)
    for _try in range(3):
        Notification.objects.filter(pk=row.pk, status=S.QUEUED).update(
            due_at=row.created_at  # the backoff, skipped
        )
        outbox_drain(rounds=1)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 3)
    issued = AccessToken.objects.filter(notification=row)
    assert issued.count() == 3
    [live] = issued.filter(revoked_at__isnull=True)
    link = LINK_RE.search(str(mail.outbox[-1].body))
    assert len(mail.outbox) == 1 and link
    assert live.token_hash == hash_token(link.group(1))


@pytest.mark.django_db
def test_nothing_is_sent_inside_the_submit_transaction(
    client: Client, knee: Any, django_capture_on_commit_callbacks: Any
) -> None:
    fill_wizard(client, knee)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        intake_submit(case_id=Case.objects.get().pk)
    assert not mail.outbox and len(callbacks) == 1
    assert Notification.objects.filter(status=S.QUEUED).count() == 2


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_both_emails_through_smtp_after_submission(
    celery_worker: object, smtp_sink: SmtpSink, knee: Any
) -> None:
    """
    GIVEN a completed draft, a real worker on the real broker and a real SMTP server
    WHEN the patient sends the wizard
    THEN the commit nudges the dispatcher, and the worker delivers the acknowledgement and
         the staff notice and marks both sent
    """
    client = Client()
    fill_wizard(client, knee)
    client.post("/intake/step/review/", {"nav": "submit"})
    received = smtp_sink.wait_for(2, timeout=30)
    assert len(received) == 2, [m["Subject"] for m in received]
    recipients = sorted(e.rcpt_tos[0] for e in smtp_sink.envelopes)
    assert recipients == ["concierge@concierge.example", "dana@patients.example"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if Notification.objects.filter(status=S.SENT).count() == 2:
            break
        time.sleep(0.05)
    assert Notification.objects.filter(status=S.SENT).count() == 2
    assert {m["Message-ID"] for m in received} == set(
        Notification.objects.values_list("message_id", flat=True)
    )
