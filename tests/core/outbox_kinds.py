"""A notification kind and mail backends for the outbox tests (registered on import)."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from core.notifications.kinds import Audience, NotificationKind, Reader, register
from core.notifications.models import Notification


@register
class Ping(NotificationKind):
    """Says nothing about anyone: enough to exercise the outbox end to end."""

    name = "tests.ping"
    template = "core-delivery-failed"
    audience = Audience.STAFF
    reason = "You get this because a test asked for it."

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        # Like a real kind: unwanted once the object it is about has gone.
        return super().is_wanted(notification, about) and not notification.data.get("unwanted")

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return {
            "failed": SimpleNamespace(kind=self.name, pk=notification.pk, last_error="-"),
            "admin_url": "http://testserver/admin/",
        }


class CodeBackend(LocmemBackend):
    """Answers like a mail server by recipient: ``...+451@`` is a 4xx, ``...+550@`` a 5xx,
    ``...+down@`` a refused connection, ``...+die@`` kills the worker (a poison message);
    everything else is delivered to mail.outbox."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            to = message.to[0]
            if "+451@" in to:
                raise smtplib.SMTPRecipientsRefused({to: (451, b"4.2.1 try later")})
            if "+550@" in to:
                raise smtplib.SMTPRecipientsRefused({to: (550, b"5.1.1 no such user")})
            if "+down@" in to:
                raise ConnectionRefusedError(111, "Connection refused")
            if "+die@" in to:
                raise WorkerKilled
        return super().send_messages(messages)


class WorkerKilled(BaseException):
    """Stands for a SIGKILL: not an ``Exception``, so no error handler sees it."""


class DyingBackend(LocmemBackend):
    """A worker killed while the server is taking the message: the send never returns."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise WorkerKilled
