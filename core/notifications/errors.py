"""Delivery errors told apart by what they mean, not by their class: one place.

Transient (try again later): SMTP 4xx replies, timeouts, refused or reset
connections, a server that hung up, a database or broker hiccup. Permanent
(retrying cannot help): SMTP 5xx replies, a refused recipient, anything else.
The error text kept on the row is a code and a class name, never an address.
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError

try:  # kombu's connection errors: a broker hiccup while a task runs
    from kombu.exceptions import OperationalError as KombuOperationalError
except ImportError:  # pragma: no cover - kombu is a Celery dependency
    KombuOperationalError = OSError  # type: ignore[misc,assignment]


@dataclass(frozen=True)
class DeliveryError:
    transient: bool
    code: int | None
    summary: str  # safe to store and show: no address, no message text

    @property
    def permanent(self) -> bool:
        return not self.transient


TRANSIENT_CLASSES: tuple[type[BaseException], ...] = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,  # refused, reset, aborted
    TimeoutError,
    socket.timeout,
    socket.gaierror,
    OperationalError,
    InterfaceError,
    KombuOperationalError,
)


def _recipients_refused(exc: smtplib.SMTPRecipientsRefused) -> DeliveryError:
    codes = [code for code, _msg in exc.recipients.values()]
    # Any 5xx for a recipient is final for that message; all 4xx is a "try later".
    worst = max(codes) if codes else 550
    transient = all(400 <= code < 500 for code in codes) and bool(codes)
    return DeliveryError(transient, worst, f"SMTP {worst} recipient refused")


def classify(exc: BaseException) -> DeliveryError:
    """The one definition of transient and permanent, used by every sender."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _recipients_refused(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = int(exc.smtp_code)
        name = type(exc).__name__
        if 400 <= code < 500:
            return DeliveryError(True, code, f"SMTP {code} {name}")
        if code >= 500:
            return DeliveryError(False, code, f"SMTP {code} {name}")
        # A reply outside 4xx/5xx (-1: the server closed the line) is a hiccup.
        return DeliveryError(True, code, f"SMTP {code} {name}")
    if isinstance(exc, TRANSIENT_CLASSES):
        return DeliveryError(True, None, type(exc).__name__)
    if isinstance(exc, OSError):  # other socket-level failures (network unreachable, EPIPE)
        return DeliveryError(True, None, type(exc).__name__)
    return DeliveryError(False, None, type(exc).__name__)
