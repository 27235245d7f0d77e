"""``manage.py outbox_dispatch``: claim due e-mails and enqueue their sends.

The same work as beat's ``core.tasks.outbox_dispatch``, in a process of its own:
once by default, or ``--loop`` as a small standing dispatcher where beat is not
wanted, or beside beat (any number of dispatchers may run: each due row is
claimed by exactly one of them). ``--until-idle`` ends the loop once nothing
has been due for that long (a backlog drain, or a test's dispatcher that must
not outlive it).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from core.notifications.services import outbox_dispatch_due

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Claim due e-mails (and e-mails whose lease ran out) and enqueue their sends."
    # A long-running process, like a worker: it starts without the whole system check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="Keep dispatching until stopped (SIGTERM/SIGINT)."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between rounds with --loop (default: OUTBOX_DISPATCH_EVERY).",
        )
        parser.add_argument(
            "--until-idle",
            type=float,
            default=None,
            metavar="SECONDS",
            help="With --loop: stop once nothing was claimed for this many seconds.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["loop"]:
            self.stdout.write(f"claimed {outbox_dispatch_due()}")
            return
        interval = options["interval"]
        if interval is None:
            interval = float(settings.OUTBOX_DISPATCH_EVERY)
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds")
        self._loop(interval=interval, until_idle=options["until_idle"])

    def _loop(self, *, interval: float, until_idle: float | None) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()  # finish this round (its claims are enqueued), then leave

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            total = self._rounds(stop=stop, interval=interval, until_idle=until_idle)
        finally:
            for sig, handler in previous.items():
                if handler is not None:  # None: set outside Python, nothing to restore
                    signal.signal(sig, handler)
        self.stdout.write(f"outbox dispatcher stopped; claimed {total}")

    def _rounds(self, *, stop: threading.Event, interval: float, until_idle: float | None) -> int:
        self.stdout.write("outbox dispatcher started")
        self.stdout.flush()
        batch = int(settings.OUTBOX_CLAIM_BATCH)
        total = 0
        last_claim = time.monotonic()
        while not stop.is_set():
            try:
                claimed = outbox_dispatch_due()
            except DatabaseError as exc:
                # The database went away (restart, failover): reconnect next round.
                log.warning("outbox dispatcher: %s; retrying", type(exc).__name__)
                connection.close()
                claimed = 0
            if claimed:
                total += claimed
                last_claim = time.monotonic()
                log.info("outbox dispatcher: claimed %d", claimed)
            elif until_idle is not None and time.monotonic() - last_claim >= until_idle:
                break
            if claimed < batch:  # a full batch means more is due: go again at once
                stop.wait(interval)
        return total
