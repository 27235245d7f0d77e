"""The outbox's SMTP path writes what Django would have written, byte for byte, faster."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core.mail.message import sanitize_address

from core.notifications.rendering import OutboxMessage
from core.notifications.services import notify, outbox_drain
from core.notifications.smtp import (
    OutboxSmtpBackend,
    message_bytes,
    outbox_connection,
    sanitized_address,
)
from tests.conftest import SmtpSink

from . import outbox_kinds  # noqa: F401 - registers tests.ping

BOUNDARY = "===============0123456789012345678=="
DATE = "Sun, 06 Dec 2026 18:43:27 -0000"
UNSUBSCRIBE = "<https://concierge.example/follow-up/unsubscribe/" + "t" * 80 + "/>"


@pytest.fixture(autouse=True)
def fixed_date() -> Iterator[None]:
    """Both paths stamp the same Date (each reads the clock itself)."""
    with (
        mock.patch("django.core.mail.message.formatdate", return_value=DATE),
        mock.patch("core.notifications.smtp.formatdate", return_value=DATE),
    ):
        yield


def django_bytes(message: OutboxMessage) -> bytes:
    """What Django's own SMTP backend sends, with the test's boundary."""
    mime: Any = message.message()
    if mime.is_multipart():
        mime.set_boundary(BOUNDARY)
    return bytes(mime.as_bytes(linesep="\r\n"))


def outbox_message(
    *,
    subject: str = "Your check-in",
    body: str = "Dear Alice,\n\nHow are you?\n",
    html: str | None = '<!DOCTYPE html><html lang="en" dir="ltr"><body><p>Hi</p></body></html>',
    to: str = "alice@patients.example",
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> OutboxMessage:
    message = OutboxMessage(
        subject=subject,
        body=body,
        to=[to],
        headers={
            "Message-ID": "<n.1@concierge.example>",
            "Content-Language": "en",
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": UNSUBSCRIBE,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            **(headers or {}),
        },
        **kwargs,
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


SUBJECTS = [
    "Your check-in",
    "Su revisión de 3 meses: ¿cómo está?",
    "فحصك بعد 3 أشهر: كيف حالك؟",
    "x" * 120,
    "a long subject " * 12,
    "Ünïcödé " * 20,
    "",
    " two  spaces\tand a tab ",
]
BODIES = [
    "Dear Alice,\n\nHow are you?\n",
    "Hola, María:\n¿Cómo está?\n\n--\nUn servicio independiente.\n",
    "مرحبا، ليلى\nكيف حالك؟\n",
    "no newline at the end",
    "windows\r\nlines\r\nand a lone\rreturn\n",
    "From the clinic\n.a line with a dot\n..two\n",
    "a line that looks like a boundary\n--===============0123456789012345678==\n",
    "x" * 998 + "\n",
    "\n\n\n",
]
HTMLS = [
    '<html lang="en" dir="ltr"><body><p>Hi</p></body></html>',
    '<html lang="ar" dir="rtl"><body style="margin: 0;"><p>مرحبا، ليلى</p></body></html>\n',
    "<p>" + "é" * 499 + "</p>",  # 998 bytes of UTF-8 plus the tags: still one line
]


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("body", BODIES)
def test_a_message_is_written_byte_for_byte_as_django_writes_it(subject: str, body: str) -> None:
    for html in HTMLS:
        message = outbox_message(subject=subject, body=body, html=html)
        assert message_bytes(message, boundary=BOUNDARY) == django_bytes(message)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"to": "María Pérez <maría@example.org>"},
        {"to": "Ana <ana@bücher.example>"},
        {"from_email": "Acompañamiento <care@concierge.example>"},
        {"cc": ["clinic@clinic.example"], "reply_to": ["care@concierge.example"]},
        {"headers": {"Date": "Mon, 07 Dec 2026 09:00:00 +0100"}},
        {"headers": {"To": "Undisclosed <undisclosed@concierge.example>"}},
        {"headers": {"Content-Language": "ar", "X-Note": "ملاحظة"}},
        {"headers": {"List-Unsubscribe": "<https://x.example/u/>"}},
    ],
)
def test_addresses_and_headers_are_written_as_django_writes_them(kwargs: dict[str, Any]) -> None:
    message = outbox_message(**kwargs)
    assert message_bytes(message, boundary=BOUNDARY) == django_bytes(message)


@pytest.mark.parametrize(
    "shape",
    ["no html", "no body", "a line too long", "an attachment", "two alternatives", "latin-1"],
)
def test_any_other_shape_is_left_to_django(shape: str) -> None:
    message = outbox_message(
        html=None if shape == "no html" else "<p>hi</p>",
        body="" if shape == "no body" else "x" * (999 if shape == "a line too long" else 10),
    )
    if shape == "an attachment":
        message.attach("note.txt", "a note", "text/plain")
    if shape == "two alternatives":
        message.attach_alternative("<p>again</p>", "text/html")
    if shape == "latin-1":
        message.encoding = "iso-8859-1"
    # An attachment nests the alternatives in a multipart/mixed: a boundary each, drawn by
    # the generator from the same seed on both sides.
    random.seed(shape)
    ours = message_bytes(message)
    random.seed(shape)
    assert ours == message.message().as_bytes(linesep="\r\n")


def test_random_messages_in_three_scripts_match_django_byte_for_byte() -> None:
    rng = random.Random(14)
    alphabet = "abcXYZ 019.,:;-_=\t\n\r\"'<>&éñ¿ü中文مرحبا" + "\u200f"
    for _ in range(300):

        def text(n: int) -> str:
            return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, n)))

        subject = text(140).replace("\n", " ").replace("\r", " ")
        message = outbox_message(subject=subject, body=text(400) or "x", html=text(600))
        assert message_bytes(message, boundary=BOUNDARY) == django_bytes(message)


def test_each_message_gets_a_boundary_of_its_own_that_is_not_in_its_text() -> None:
    message = outbox_message()
    first, second = message_bytes(message), message_bytes(message)
    boundary = first.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    assert first != second  # the boundary is drawn for each message, as the generator does
    assert first.count(b"--" + boundary) == 3  # opening, between the parts, closing
    assert len(boundary) == len(BOUNDARY)


ADDRESSES: list[Any] = [
    "alice@patients.example",
    "Alice.Smith+checkin@Patients.Example",
    "o'brien/x=y@sub.domain.example",
    "care@concierge.example",
    "Concierge <care@concierge.example>",
    "María Pérez <maria@example.org>",
    "maría@example.org",
    "user@bücher.example",
    '"two words"@example.org',
    "a..b@example.org",
    ".a@example.org",
    "a.@example.org",
    "a@-example.org",
    "a@example..org",
    "a@" + "l" * 63 + ".example",
    "a@" + "l" * 64 + ".example",
    "a@",
    "@example.org",
    "not an address",
    "a@b.c\nBcc: x@y.z",
    ("Ana", "ana@example.org"),
    ("Ána", "ana@example.org"),
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_an_address_is_sanitized_as_django_sanitizes_it(address: Any) -> None:
    def outcome(sanitize: Any) -> Any:
        try:
            return sanitize(address, "utf-8")
        except Exception as exc:  # the same refusal, too
            return type(exc)

    assert outcome(sanitized_address) == outcome(sanitize_address)


@pytest.mark.django_db
def test_the_outbox_sends_through_its_own_backend_to_a_real_server(
    smtp_sink: SmtpSink, settings: Any
) -> None:
    """GIVEN Django's SMTP backend is configured and a real server listens
    WHEN the outbox drains an Arabic reader's message
    THEN it goes through OutboxSmtpBackend and arrives whole: right to left, its Message-ID kept
    """
    settings.OUTBOX_NUDGE = False
    assert isinstance(outbox_connection(), OutboxSmtpBackend)
    row = notify(
        kind="tests.ping", dedupe_key="smtp-ar", to="staff@concierge.example", language="ar"
    )
    assert outbox_drain().sent == 1
    (received,) = smtp_sink.wait_for(1)
    assert received["Message-ID"] == row.message_id
    assert received["Content-Language"] == "ar"
    assert smtp_sink.envelopes[0].mail_from == "care@concierge.example"
    assert smtp_sink.envelopes[0].rcpt_tos == ["staff@concierge.example"]
    text, html = (part for part in received.walk() if not part.is_multipart())
    assert text.get_content_type() == "text/plain"
    assert '<html lang="ar" dir="rtl">' in html.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_any_other_configured_backend_is_used_as_it_is(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert type(outbox_connection()).__module__ == "django.core.mail.backends.locmem"
