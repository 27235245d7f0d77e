"""Processes of a test's own, for the tests that run real ones (the outbox's and others).

``Proc`` is a subprocess in a session of its own (so a test can SIGKILL a whole process
group), logging to a file; ``RedisServer`` is a redis-server on a free port with no
persistence. ``wait_until`` polls, ``free_port`` finds a port, ``database_url`` names the
test database for a child process.

Only processes started here are ever signalled, by their own process group; the
machine's shared PostgreSQL, Redis and workers are never touched.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
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


def database_url(settings_dict: dict[str, Any]) -> str:
    """A URL for the database this test runs on (the one pytest-django created)."""
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{quote(settings_dict['NAME'])}"
