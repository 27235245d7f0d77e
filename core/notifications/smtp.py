"""The outbox's way onto the wire: Django's SMTP backend, with a message's bytes written
directly where they are simple, and its addresses checked once.

What a recipient receives does not change: ``message_bytes`` writes exactly what
``message().as_bytes(linesep="\\r\\n")`` writes for the outbox's usual shape (a text body
and one HTML alternative, no attachments, UTF-8), and leaves every other shape to
Django. tests/core/test_outbox_smtp.py compares the two byte for byte.

Why: a worker spent about a third of its time per message in ``email.*`` (two MIME
objects per part, a header parser for the same From address on every message, and a
regular expression compiled for each message's random multipart boundary).
"""

from __future__ import annotations

import random
import re
import smtplib
import sys
from email.utils import formatdate, make_msgid
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    forbid_multi_line_headers,
    sanitize_address,
)
from django.core.mail.utils import DNS_NAME

from .rendering import SHORT_ASCII_HEADERS, OutboxMessage

DJANGO_SMTP = "django.core.mail.backends.smtp.EmailBackend"
CRLF = "\r\n"
_WIRE = SHORT_ASCII_HEADERS.clone(linesep=CRLF)  # what as_bytes(linesep="\r\n") folds with
_NEWLINES = re.compile(r"\r\n|\r|\n")  # email.generator's NLCRE
_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))  # email.generator's _width
# An address whose local part and domain are plain dot-atoms: sanitize_address returns it
# unchanged (no display name to encode, nothing to quote, an ASCII domain IDNA leaves alone).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9-]{1,63}"
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})*")


def outbox_connection() -> BaseEmailBackend:
    """The configured e-mail backend; Django's SMTP backend becomes ``OutboxSmtpBackend``
    (the same settings, the same connection handling). Any other backend (locmem in
    tests, console, file) is used as it is."""
    if settings.EMAIL_BACKEND == DJANGO_SMTP:
        return get_connection(f"{__name__}.OutboxSmtpBackend")
    return get_connection()


class OutboxSmtpBackend(SmtpBackend):
    """Django's SMTP backend; ``_send`` as Django's, with ``sanitized_address`` and
    ``message_bytes`` in place of their slower equivalents."""

    def _send(self, email_message: EmailMessage) -> bool:
        recipients = email_message.recipients()
        if not recipients:
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitized_address(email_message.from_email, encoding)
        envelope_to = [sanitized_address(address, encoding) for address in recipients]
        data = message_bytes(email_message)
        assert self.connection is not None  # opened by send_messages()
        try:
            self.connection.sendmail(from_email, envelope_to, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


def sanitized_address(address: Any, encoding: str) -> str:
    """``django.core.mail.message.sanitize_address``, without parsing a plain address
    and parsing any other (a display name, non-ASCII) once per process."""
    if isinstance(address, str) and _PLAIN_ADDRESS.fullmatch(address):
        return address
    if isinstance(address, str | tuple):
        return _sanitize_cached(address, encoding)
    return sanitize_address(address, encoding)  # a lazy string: not hashable as itself


@lru_cache(maxsize=1024)
def _sanitize_cached(address: str | tuple[str, str], encoding: str) -> str:
    return str(sanitize_address(address, encoding))


def message_bytes(message: EmailMessage, *, boundary: str | None = None) -> bytes:
    """What Django's backend sends for ``message``: ``message().as_bytes(linesep="\\r\\n")``.

    Written directly for an ``OutboxMessage`` with a text body and one HTML alternative;
    ``boundary`` (tests) fixes the multipart boundary the standard library would draw.
    """
    fast = _alternative_bytes(message, boundary) if isinstance(message, OutboxMessage) else None
    if fast is not None:
        return fast
    mime: Any = message.message()  # Django's SafeMIME classes take a linesep
    if boundary is not None and mime.is_multipart():
        mime.set_boundary(boundary)
    return bytes(mime.as_bytes(linesep=CRLF))


def _alternative_bytes(message: OutboxMessage, boundary: str | None) -> bytes | None:
    """``message()`` and ``email.generator.BytesGenerator`` for a multipart/alternative of
    a text/plain body and a text/html part, both UTF-8 in 7bit or 8bit; None for any
    other shape (attachments, no body, a line too long for 8bit, another charset)."""
    encoding = message.encoding or settings.DEFAULT_CHARSET
    if encoding != "utf-8" or message.attachments or len(message.alternatives) != 1:
        return None
    html, mimetype = message.alternatives[0]
    body = message.body
    if mimetype != "text/html":
        return None
    if not isinstance(body, str) or not body or not isinstance(html, str):
        return None
    parts = []
    for text, subtype in ((body, "plain"), (html, "html")):
        if _needs_quoted_printable(text):
            return None
        cte = "7bit" if text.isascii() else "8bit"
        headers = (
            ("Content-Type", f'text/{subtype}; charset="utf-8"'),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", cte),
        )
        parts.append(_headers_bytes(headers) + _NEWLINES.sub(CRLF, text).encode())
    if boundary is None:
        boundary = _boundary(parts)
    top = [
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ("MIME-Version", "1.0"),
        *(forbid_multi_line_headers(name, value, encoding) for name, value in _headers(message)),
    ]
    delimiter = f"{CRLF}--{boundary}{CRLF}".encode()
    return b"".join(
        (
            _headers_bytes(top),
            f"--{boundary}{CRLF}".encode(),
            delimiter.join(parts),
            f"{CRLF}--{boundary}--{CRLF}".encode(),
        )
    )


def _headers(message: OutboxMessage) -> list[tuple[str, Any]]:
    """The headers ``EmailMessage.message()`` sets, in its order, before its checks."""
    extra = message.extra_headers
    headers: list[tuple[str, Any]] = [
        ("Subject", message.subject),
        ("From", extra.get("From", message.from_email)),
    ]
    for name, values in (("To", message.to), ("Cc", message.cc), ("Reply-To", message.reply_to)):
        if name in extra:
            headers.append((name, extra[name]))
        elif values:
            headers.append((name, ", ".join(str(v) for v in values)))
    names = {name.lower() for name in extra}
    if "date" not in names:
        headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    if "message-id" not in names:
        headers.append(("Message-ID", make_msgid(domain=DNS_NAME)))
    headers += [
        (name, value)
        for name, value in extra.items()
        if name.lower() not in {"from", "to", "cc", "reply-to"}
    ]
    return headers


def _needs_quoted_printable(text: str) -> bool:
    # SafeMIMEText.set_payload: a line longer than RFC 5322 allows makes Django switch the
    # part to quoted-printable, which is left to Django.
    return any(
        len(line.encode(errors="surrogateescape")) > RFC5322_EMAIL_LINE_LENGTH_LIMIT
        for line in text.splitlines()
    )


def _headers_bytes(headers: Any) -> bytes:
    return b"".join(_WIRE.fold_binary(name, value) for name, value in headers) + b"\r\n"


def _boundary(parts: list[bytes]) -> str:
    """A boundary as ``email.generator`` draws it, redrawn while it occurs in a part (the
    generator looks for it as a whole line; any occurrence is a stricter test)."""
    while True:
        token = random.randrange(sys.maxsize)  # noqa: S311 - a boundary, not a secret
        boundary = f"{'=' * 15}{token:0{_BOUNDARY_DIGITS}d}=="
        marker = f"--{boundary}".encode()
        if not any(marker in part for part in parts):
            return boundary
