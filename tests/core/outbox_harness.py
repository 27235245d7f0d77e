"""Real parts for the outbox reliability tests (``test_outbox_reliability.py``).

A Redis server of the test's own on a free port, Celery workers and outbox
dispatchers as subprocesses (each in its own session, so a test can SIGKILL a
whole process group), and an aiosmtpd sink that counts what it accepted by
Message-ID and can answer 451/550 per recipient or be switched off and on.

Only processes started here are ever signalled, by their own process group;
the machine's shared PostgreSQL, Redis and workers are never touched.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
REDIS_SERVER = shutil.which("redis-server")
# A child that outlives a killed pytest would hold the test database open and
# keep consuming: where util-linux's setpriv exists, children die with the suite.
_DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
_LIVE_GROUPS: set[int] = set()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(
    predicate: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
    detail: Callable[[], str] | None = None,
) -> float:
    """Poll ``predicate`` until it holds; return the seconds it took, or fail saying what."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            extra = f"\n{detail()}" if detail else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)
    return time.monotonic() - started


# --- Processes ---------------------------------------------------------------------------
@dataclass
class Proc:
    """A subprocess in a session of its own; its output goes to a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def spawn(cls, name: str, argv: list[str], *, env: dict[str, str], log: Path) -> Proc:
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [*_DIE_WITH_PARENT, *argv],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches its children
            )
        _LIVE_GROUPS.add(popen.pid)
        return cls(name, popen, log)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 25) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_for_line(self, text: str, timeout: float = 90.0) -> None:
        def seen() -> bool:
            if not self.alive():
                raise AssertionError(f"{self.name} exited early:\n{self.log_tail()}")
            return text in self.log_text()

        wait_until(seen, timeout=timeout, what=f"{self.name}: {text!r}", detail=self.log_tail)

    def kill_group(self) -> None:
        """SIGKILL the whole process group (a prefork worker's children too) and reap it."""
        pgid = self.popen.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        self.popen.wait(timeout=30)
        # Children die a moment later (then linger as zombies until init reaps them,
        # which holds no socket or lock): wait until no member of the group still runs.
        wait_until(
            lambda: not _running_in_group(pgid),
            timeout=10,
            interval=0.02,
            what=f"process group {pgid} to die",
        )
        _LIVE_GROUPS.discard(pgid)

    def terminate(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it will not go."""
        if self.alive():
            self.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        self.kill_group()


def _running_in_group(pgid: int) -> bool:
    """Whether a process of group ``pgid`` is still running (zombies do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


@atexit.register
def _kill_leftovers() -> None:  # a suite interrupted between a spawn and its teardown
    for pgid in list(_LIVE_GROUPS):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


class RedisServer:
    """A redis-server of the test's own: no persistence, so a restart loses every message."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.proc: Proc | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None, "redis-server is not installed"
        self.starts += 1
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        log = self.workdir / f"redis-{self.starts}.log"
        self.proc = Proc.spawn("redis", argv, env=dict(os.environ), log=log)
        wait_until(self.answers, timeout=15, what=f"redis-server on port {self.port}")

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill_group()
            self.proc = None


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


# --- Workers and dispatchers ---------------------------------------------------------------
def database_url(settings_dict: dict[str, Any]) -> str:
    """A URL for the database this test runs on (the one pytest-django created)."""
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{quote(settings_dict['NAME'])}"


@dataclass
class OutboxRig:
    """Workers and dispatchers for one test, on its own queue, broker and sink."""

    workdir: Path
    database_url: str
    redis: RedisServer
    sink: MailSink
    # Outbox and Celery settings for the children (OUTBOX_LEASE_SECONDS, ...).
    settings_env: dict[str, str] = field(default_factory=dict)
    queue: str = field(default_factory=lambda: f"rel-{uuid.uuid4().hex[:10]}")
    workers: list[Proc] = field(default_factory=list)
    dispatchers: list[Proc] = field(default_factory=list)
    # Each worker's pool and its size: by default one process each, the strictest case for
    # "at most one duplicate per pool member killed"; the production mail worker is threads.
    pool: str = "prefork"
    concurrency: int = 1
    _spawned: int = 0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTBOX_", "CELERY_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis.url,
            CELERY_BROKER_URL=self.redis.url,
            # A queue of its own: the suite's in-process worker never sees these tasks.
            CELERY_QUEUE=self.queue,
            TEST_EMAIL_URL=self.sink.url,
            OUTBOX_TEST_KINDS="1",
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="INFO",
        )
        env.update(self.settings_env)
        return env

    @property
    def mail_queue(self) -> str:
        return f"{self.queue}.mail"

    def _log(self, name: str) -> Path:
        self._spawned += 1
        return self.workdir / f"{self._spawned:02d}-{name}.log"

    def start(self, *, workers: int = 2, dispatchers: int = 2) -> None:
        """Spawn workers and dispatchers without waiting: a test queues its rows while
        they boot, then calls ``wait_ready()``."""
        self.start_workers(workers, wait=False)
        self.start_dispatchers(dispatchers, wait=False)

    def start_workers(
        self, count: int = 2, *, concurrency: int | None = None, wait: bool = True
    ) -> None:
        """``celery -A config worker`` processes consuming this test's mail queue."""
        if concurrency is not None:
            self.concurrency = concurrency
        for index in range(1, count + 1):
            name = f"w{index}-{uuid.uuid4().hex[:6]}"
            argv = [str(CELERY), "-A", "config", "worker", "-Q", self.mail_queue]
            argv += ["-c", str(self.concurrency), "-P", self.pool]
            argv += ["-n", f"{name}@%h", "-l", "INFO"]
            argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
            self.workers.append(Proc.spawn(name, argv, env=self.env(), log=self._log(name)))
        if wait:
            self.wait_ready()

    def kill_workers(self) -> int:
        """SIGKILL every worker's process group; returns how many pool members (processes
        or threads) died, each of which may have been between a 250 and its commit."""
        killed = 0
        for proc in self.workers:
            proc.kill_group()
            killed += self.concurrency
        self.workers.clear()
        return killed

    def start_dispatchers(
        self, count: int = 2, *, interval: float = 0.2, wait: bool = True
    ) -> None:
        """``manage.py outbox_dispatch --loop`` processes racing for the same rows."""
        for index in range(1, count + 1):
            name = f"d{index}"
            argv = [sys.executable, "manage.py", "outbox_dispatch", "--loop"]
            # --until-idle: a dispatcher orphaned by a crashed suite ends on its own.
            argv += ["--interval", str(interval), "--until-idle", "300"]
            self.dispatchers.append(Proc.spawn(name, argv, env=self.env(), log=self._log(name)))
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Until every worker consumes and every dispatcher loops."""
        for proc in self.workers:
            proc.wait_for_line(" ready.")
        for proc in self.dispatchers:
            proc.wait_for_line("outbox dispatcher started")

    def claims(self) -> list[int]:
        """Rows each dispatcher has claimed so far (from its log)."""
        return [
            sum(int(n) for n in re.findall(r"outbox dispatcher: claimed (\d+)", p.log_text()))
            for p in self.dispatchers
        ]

    def logs(self, lines: int = 15) -> str:
        procs = [*self.dispatchers, *self.workers]
        return "\n".join(f"--- {p.name}\n{p.log_tail(lines)}" for p in procs)

    def close(self) -> None:
        for proc in self.dispatchers:
            proc.terminate()  # all at once: each takes a moment to exit
        for proc in self.dispatchers:
            proc.stop()
        self.dispatchers.clear()
        self.kill_workers()
