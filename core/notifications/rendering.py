"""One way to turn a notification into a message: the shared layout, the reader's
language and zone, the CSS inlined once, the stable Message-ID."""

from __future__ import annotations

from email.policy import Compat32
from functools import lru_cache
from typing import Any

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .kinds import NotificationKind, Reader
from .models import Notification


class _ShortAsciiHeaders(Compat32):
    """``compat32``, the policy Django's messages are written with, writing a header that is
    ASCII, one line and short enough not to fold as it is: what compat32's own folding makes
    of it too (tests/core/test_outbox.py compares them byte for byte), without building and
    encoding an ``email.header.Header`` for each of a message's 17 headers (a quarter of the
    time a worker spent turning a message into bytes). Anything else folds as before."""

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
            and len(name) + 2 + len(value) <= (self.max_line_length or 0)
        ):
            return f"{name}: {value}{self.linesep}"
        return str(super()._fold(name, value, sanitize))  # type: ignore[misc]


SHORT_ASCII_HEADERS = _ShortAsciiHeaders()


class OutboxMessage(EmailMultiAlternatives):
    """A Django message whose bytes are written with ``SHORT_ASCII_HEADERS``."""

    def message(self, **kwargs: Any) -> Any:
        message = super().message(**kwargs)
        message.policy = SHORT_ASCII_HEADERS
        return message


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    # The layout carries its own <style>; nothing is fetched from the network.
    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)


def render_email(*, template: str, context: dict[str, Any], reader: Reader) -> tuple[str, str, str]:
    """Subject, text and HTML of ``templates/emails/<template>-*`` for ``reader``."""
    language = reader.resolved_language()
    with translation.override(language), timezone.override(reader.resolved_time_zone()):
        ctx = {
            **context,
            "site_url": settings.SITE_URL,
            "language": language,
            "text_direction": "rtl" if translation.get_language_bidi() else "ltr",
        }
        raw_subject = render_to_string(f"emails/{template}-subject.txt", ctx)
        text = render_to_string(f"emails/{template}-body.txt", ctx)
        html = _inliner().inline(render_to_string(f"emails/{template}-body.html", ctx))
    subject = " ".join(raw_subject.split())[:200]  # one line: a header cannot carry newlines
    return subject, text, html


def build_message(
    *, notification: Notification, kind: NotificationKind, about: Any, reader: Reader
) -> EmailMultiAlternatives:
    context = kind.context(notification, about, reader)
    context.setdefault("footer_reason", kind.footer_reason(notification, about))
    context.setdefault("audience", str(kind.audience))
    subject, text, html = render_email(template=kind.template, context=context, reader=reader)
    extras = kind.extras(notification, about, reader)
    headers = {
        # Chosen when the row was made: a resend of the same row is recognisably the same message.
        "Message-ID": notification.message_id,
        "Content-Language": reader.resolved_language(),
        "Auto-Submitted": "auto-generated",
        **extras.headers,
    }
    message = OutboxMessage(subject=subject, body=text, to=[reader.email], headers=headers)
    message.attach_alternative(html, "text/html")
    for attachment in extras.attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message
