"""The outbox's sending: what goes out, once, and what happens when a server says no.

Covers a message sent once with its Message-ID, the rendered layout and
headers, unwanted messages cancelled, transient refusals retried with a
backoff, permanent ones failed and reported to staff, and error classification.
"""

from __future__ import annotations

import smtplib
from email.policy import compat32
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from core.models import AuditEvent, Notification
from core.notifications.errors import classify
from core.notifications.rendering import OutboxMessage
from core.notifications.services import (
    outbox_claim_due,
    outbox_drain,
    outbox_send_claimed,
)

from .outbox_rows import S, ping

pytestmark = pytest.mark.django_db


def test_it_sends_once_with_the_message_id_chosen_at_creation() -> None:
    row = ping("once")
    report = outbox_drain()
    assert report.sent == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert row.status == S.SENT and row.sent_at is not None and row.attempts == 1
    assert outbox_drain().sent == 0  # nothing is due twice
    assert len(mail.outbox) == 1


def test_an_arabic_reader_gets_the_layout_right_to_left() -> None:
    ping("ar", language="ar")
    outbox_drain()
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    assert '<html lang="ar" dir="rtl">' in html
    assert 'style="' in html  # the layout's CSS was inlined
    assert "<style>" not in html
    assert mail.outbox[0].extra_headers["Content-Language"] == "ar"


@pytest.mark.parametrize(
    "subject",
    [
        "Your check-in",
        "Su revisión de 3 meses: ¿cómo está?",
        "x" * 120,
        "",
        " two  spaces\tand a tab ",
    ],
)
def test_headers_are_written_byte_for_byte_as_compat32_writes_them(subject: str) -> None:
    message = OutboxMessage(
        subject=subject,
        body="Hola, María: ¿cómo está?",
        to=["María Pérez <maría@example.org>"],
        headers={
            "Message-ID": "<n.1@concierge.example>",
            "List-Unsubscribe": "<https://concierge.example/follow-up/unsubscribe/"
            + "t" * 80
            + "/>",
            "Content-Language": "es",
        },
    )
    message.attach_alternative("<p>Hola, <b>María</b></p>" + "y" * 1200, "text/html")
    mime = message.message()
    ours = mime.as_bytes(linesep="\r\n")
    mime.policy = compat32
    assert ours == mime.as_bytes(linesep="\r\n")


def test_a_message_that_is_no_longer_wanted_is_cancelled_not_sent() -> None:
    row = ping("unwanted", data={"unwanted": True})
    report = outbox_drain()
    assert report.cancelled == 1 and mail.outbox == []
    row.refresh_from_db()
    assert row.status == S.CANCELLED


def test_a_transient_refusal_goes_back_to_the_queue_with_a_backoff(code_backend: None) -> None:
    row = ping("busy", to="someone+451@example.org")
    before = timezone.now()
    report = outbox_drain()
    assert report.retried == 1
    row.refresh_from_db()
    assert row.status == S.QUEUED
    assert row.due_at > before
    assert row.last_error == "SMTP 451 recipient refused"
    assert "example.org" not in row.last_error  # never the address


def test_a_permanent_refusal_fails_at_once_and_tells_staff_once(code_backend: None) -> None:
    row = ping("gone", to="nobody+550@example.org")
    assert outbox_drain().failed == 1
    row.refresh_from_db()
    assert row.status == S.FAILED and row.attempts == 1
    alerts = Notification.objects.filter(kind="core.delivery_failed")
    assert alerts.count() == 1
    assert AuditEvent.objects.filter(action="core.notification.failed").count() == 1
    # The alert itself went out (to the concierge inbox), and a second drain adds nothing.
    outbox_drain()
    assert alerts.get().status == S.SENT
    assert Notification.objects.filter(kind="core.delivery_failed").count() == 1
    alert_mail = [m for m in mail.outbox if f"#{row.pk}" in m.body]
    assert len(alert_mail) == 1 and "nobody" not in alert_mail[0].body


def test_a_refused_connection_hands_the_rest_of_the_chunk_back(code_backend: None) -> None:
    ping("down-1", to="a+down@example.org")
    ping("down-2", to="b@example.org")
    claim = outbox_claim_due()
    report = outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
    assert report.retried == 2 and report.sent == 0
    assert Notification.objects.filter(status=S.QUEUED).count() == 2


def test_one_recipients_4xx_holds_back_nobody_else_in_the_chunk(code_backend: None) -> None:
    ping("grey-1", to="a+451@example.org")
    ping("grey-2", to="b@example.org")
    claim = outbox_claim_due()
    report = outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
    assert (report.retried, report.sent) == (1, 1)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["b@example.org"]


@pytest.mark.parametrize(
    ("exc", "transient", "code"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b": (450, b"busy")}), True, 450),
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"no such user")}), False, 550),
        (smtplib.SMTPRecipientsRefused({"a@b": (451, b"x"), "c@d": (550, b"y")}), False, 550),
        (smtplib.SMTPDataError(451, b"local error"), True, 451),
        (smtplib.SMTPDataError(554, b"rejected"), False, 554),
        (smtplib.SMTPSenderRefused(553, b"sender", "from@x"), False, 553),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False, 535),
        (smtplib.SMTPServerDisconnected("gone"), True, None),
        (ConnectionRefusedError(111, "refused"), True, None),
        (ConnectionResetError(104, "reset"), True, None),
        (TimeoutError("timed out"), True, None),
        (ValueError("a bug in a template"), False, None),
    ],
)
def test_errors_are_told_apart_by_meaning(exc: BaseException, transient: bool, code: Any) -> None:
    error = classify(exc)
    assert (error.transient, error.code) == (transient, code)
    assert "@" not in error.summary
