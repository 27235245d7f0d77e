"""An SMTP sink for the tests that run real processes, and counting what it accepted.

``MailSink`` is aiosmtpd on 127.0.0.1 that counts accepted messages by Message-ID and can
answer 451/550 per recipient or be switched off and on; ``tally`` compares what it
accepted with what was expected (delivered, duplicates, lost).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from .processes import free_port


# --- The SMTP sink -----------------------------------------------------------------------
@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class MailSink:
    """aiosmtpd on 127.0.0.1, counting accepted messages by Message-ID.

    ``refuse[address]`` is a reply given to that recipient every time (``"550 ..."``);
    ``defer[address]`` is how many more times that recipient gets a 451 before it
    is accepted. ``stop()`` / ``start()`` take the server down and up on the same port.
    """

    port: int = field(default_factory=free_port)
    keep_raw: bool = False
    refuse: dict[str, str] = field(default_factory=dict)
    defer: dict[str, int] = field(default_factory=dict)
    received: Counter[str] = field(default_factory=Counter)
    raw: dict[str, Received] = field(default_factory=dict)
    replies: Counter[tuple[str, int]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Any = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
        # A stopped controller's loop is closed: every start gets a new one.
        self._controller = Controller(_SinkHandler(self), hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()  # drops open connections too, like a crashed server
            self._controller = None

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.received)

    def total(self) -> int:
        with self._lock:
            return sum(self.received.values())

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.raw.clear()
            self.replies.clear()

    # Called from the sink's own thread.
    def _on_rcpt(self, address: str) -> str | None:
        with self._lock:
            if address in self.refuse:
                reply = self.refuse[address]
                self.replies[(address, int(reply[:3]))] += 1
                return reply
            if self.defer.get(address, 0) > 0:
                self.defer[address] -= 1
                self.replies[(address, 451)] += 1
                return "451 4.2.1 Mailbox busy, try again later"
        return None

    def _on_data(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> None:
        headers = BytesHeaderParser(policy=compat32).parsebytes(content)
        message_id = str(headers.get("Message-ID", "")).strip()
        with self._lock:
            self.received[message_id] += 1
            if self.keep_raw and message_id not in self.raw:
                self.raw[message_id] = Received(mail_from, list(rcpt_tos), content)


class _SinkHandler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.sink._on_rcpt(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sink._on_data(envelope.mail_from, envelope.rcpt_tos, envelope.content)
        return "250 Message accepted for delivery"


# --- Counting ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Tally:
    queued: int
    delivered: int  # distinct expected Message-IDs the sink accepted
    duplicates: int  # copies beyond the first
    lost: int  # expected, never accepted

    def figure(self) -> dict[str, int]:
        return {
            "queued": self.queued,
            "delivered": self.delivered,
            "duplicates": self.duplicates,
            "lost": self.lost,
        }


def tally(expected: Collection[str], received: Counter[str], *, queued: int | None = None) -> Tally:
    wanted = set(expected)
    delivered = sum(1 for mid in wanted if received[mid] > 0)
    duplicates = sum(received[mid] - 1 for mid in wanted if received[mid] > 1)
    return Tally(
        queued=len(wanted) if queued is None else queued,
        delivered=delivered,
        duplicates=duplicates,
        lost=len(wanted) - delivered,
    )
