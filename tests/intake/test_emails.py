"""Emails after submission: patient acknowledgement, staff notice, sent after commit."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.test import Client

from intake.emails import case_acknowledgement_send, concierge_new_case_notify
from intake.models import Case, CaseStatus
from intake.services import intake_submit
from tests.conftest import SmtpSink

from .factories import make_draft
from .files import all_text, html_part
from .wizard_data import fill_wizard


@pytest.mark.django_db
def test_the_acknowledgement_has_text_and_html_the_reference_and_a_working_link(
    alice_case: Case,
) -> None:
    assert case_acknowledgement_send(case_id=alice_case.pk)
    message = mail.outbox[-1]
    assert message.to == ["alice@patients.example"]
    assert alice_case.reference in message.subject
    html = html_part(message)
    assert "What happens next" in message.body and "What happens next" in html
    link = re.search(r"/intake/c/[A-Za-z0-9_-]+/", str(message.body))
    assert link and link.group(0) in html
    browser = Client()
    assert browser.post(link.group(0))["Location"] == f"/intake/case/{alice_case.reference}/"
    # idempotent: a redelivered task does not send it twice
    assert not case_acknowledgement_send(case_id=alice_case.pk)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_acknowledgement_is_in_the_patients_language(alice_case: Case) -> None:
    alice_case.patient.language = "es"
    alice_case.patient.save()
    case_acknowledgement_send(case_id=alice_case.pk)
    assert '<html lang="es">' in html_part(mail.outbox[-1])


@pytest.mark.django_db
def test_a_case_in_clinician_review_is_told_a_doctor_reads_it_first(alice_case: Case) -> None:
    Case.objects.filter(pk=alice_case.pk).update(status=CaseStatus.CLINICIAN_REVIEW)
    case_acknowledgement_send(case_id=alice_case.pk)
    assert "doctor's view first" in mail.outbox[-1].body


@pytest.mark.django_db
def test_the_staff_notice_carries_only_the_reference_and_an_admin_link(
    alice_case: Case, settings
) -> None:  # type: ignore[no-untyped-def]
    assert concierge_new_case_notify(case_id=alice_case.pk)
    message = mail.outbox[-1]
    assert message.to == [settings.CONCIERGE_EMAIL]
    everything = all_text(message)
    assert alice_case.reference in everything
    assert f"/admin/intake/case/{alice_case.pk}/change/" in everything
    for phi in ("Alice", "Archer", "alice@", "Knee", "knee", "1968", "walk"):
        assert phi not in everything, phi
    assert not concierge_new_case_notify(case_id=alice_case.pk)


@pytest.mark.django_db
def test_emails_for_a_missing_or_draft_case_are_skipped() -> None:
    assert not case_acknowledgement_send(case_id=987654)
    assert not concierge_new_case_notify(case_id=make_draft().pk)
    assert not mail.outbox


@pytest.mark.django_db
def test_nothing_is_sent_inside_the_submit_transaction(
    client: Client, knee, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        intake_submit(case_id=Case.objects.get().pk)
    assert not mail.outbox and len(callbacks) == 2


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_both_emails_through_smtp_after_submission(
    celery_worker: object,
    smtp_sink: SmtpSink,
    knee,  # type: ignore[no-untyped-def]
) -> None:
    """
    GIVEN a completed draft, a real worker on the real broker and a real SMTP server
    WHEN the patient sends the wizard
    THEN after the commit the worker delivers the acknowledgement and the staff notice
    """
    client = Client()
    fill_wizard(client, knee)
    client.post("/intake/step/review/", {"nav": "submit"})
    received = smtp_sink.wait_for(2, timeout=30)
    assert len(received) == 2, [m["Subject"] for m in received]
    case = Case.objects.get()
    recipients = sorted(e.rcpt_tos[0] for e in smtp_sink.envelopes)
    assert recipients == ["concierge@concierge.example", "dana@patients.example"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        case.refresh_from_db()
        if case.acknowledged_at and case.concierge_notified_at:
            break
        time.sleep(0.05)
    assert case.acknowledged_at and case.concierge_notified_at
