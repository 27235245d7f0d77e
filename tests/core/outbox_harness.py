"""The outbox's process rig (``OutboxRig``): Celery workers and outbox dispatchers of a test's own.

Workers (``celery -A config worker``) consume a queue of the test's own on its own Redis
and send into its SMTP sink; dispatchers (``manage.py outbox_dispatch --loop``) race for
the same rows. The parts are ``tests/core/processes.py`` (subprocesses, redis-server)
and ``tests/core/mail_sink.py`` (the sink and its tally).
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .mail_sink import MailSink
from .processes import Proc, RedisServer

CELERY = Path(sys.executable).parent / "celery"


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
