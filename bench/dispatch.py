"""Follow-up dispatch at scale: 10,000 check-in invitations due at once, drained by one
dispatcher and two Celery worker processes (each the production mail worker: its pool,
threads, and its concurrency, 4) to an aiosmtpd sink, then the same messages sent again
with raw ``smtplib`` over one connection to the same sink.

The processes and the sink are the outbox reliability tests' (tests/core/outbox_harness.py,
processes.py and mail_sink.py).
Timing comes from the database: every row is due before the one transaction that inserts
them all commits, and its ``sent_at`` says when it left, so the drain time and each
message's wait (its p95), both counted from that commit, do not depend on how often the
bench looks.
"""

from __future__ import annotations

import smtplib
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import redis
from django.conf import settings

from tests.core.mail_sink import MailSink, tally
from tests.core.outbox_harness import CELERY
from tests.core.processes import Proc, wait_until

from .site import ROOT, Site, base_env, prepare, redis_url

WORKERS = 2


@dataclass(frozen=True)
class Drain:
    count: int
    drain_s: float
    p95_ms: float
    raw_s: float
    duplicates: int
    lost: int
    distinct_checkins: int

    @property
    def per_s(self) -> float:
        return self.count / self.drain_s

    @property
    def raw_per_s(self) -> float:
        return self.count / self.raw_s


def _progress(database: str, run: str, ids: tuple[int, int], ready_at: datetime) -> dict[str, Any]:
    with psycopg.connect(database) as conn:
        rows = conn.execute(
            "SELECT status, count(*), max(sent_at), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY sent_at - %s) "
            # The run's rows by their ids (the primary key answers it while the workers
            # drain; a LIKE alone would read the whole outbox every half second).
            "FROM core_notification WHERE id BETWEEN %s AND %s AND dedupe_key LIKE %s "
            "GROUP BY status",
            [ready_at, ids[0], ids[1], f"bench:{run}:%"],
        ).fetchall()
    return {status: {"n": n, "last": last, "p95": p95} for status, n, last, p95 in rows}


def drain(site: Site, count: int) -> Drain:
    run = uuid.uuid4().hex[:10]
    queue = f"bench-{run}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    sink = MailSink(keep_raw=True)
    sink.start()
    env = base_env(site.database)
    env.update(CELERY_QUEUE=queue, EMAIL_URL=sink.url, LOG_LEVEL="INFO")
    procs = [
        Proc.spawn(
            f"w{n}",
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "-Q",
                f"{queue}.mail",
                # The production mail worker's pool and concurrency (config.worker).
                "-P",
                str(settings.WORKER_POOL["mail"]),
                "-c",
                str(settings.WORKER_CONCURRENCY["mail"]),
                "-n",
                f"w{n}-{run}@%h",
                "-l",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=env,
            log=workdir / f"w{n}.log",
        )
        for n in range(1, WORKERS + 1)
    ]
    procs.append(
        Proc.spawn(
            "dispatcher",
            [
                sys.executable,
                "manage.py",
                "outbox_dispatch",
                "--loop",
                "--interval",
                "0.2",
                "--until-idle",
                "600",
            ],
            env=env,
            log=workdir / "dispatcher.log",
        )
    )
    try:
        for proc in procs[:WORKERS]:
            proc.wait_for_line(" ready.")
        procs[-1].wait_for_line("outbox dispatcher started")
        setup = prepare(site.database, "dispatch-setup", str(count), run)
        expected: list[str] = setup["message_ids"]
        ids = (int(setup["first_id"]), int(setup["last_id"]))
        ready_at = datetime.fromisoformat(setup["ready_at"])

        def settled() -> bool:
            progress = _progress(site.database, run, ids, ready_at)
            return sum(v["n"] for k, v in progress.items() if k in ("queued", "sending")) == 0

        wait_until(
            settled,
            timeout=1200,
            interval=0.5,
            what="the bench's e-mails to be sent",
            detail=lambda: "\n".join(p.log_tail() for p in procs),
        )
        sent = _progress(site.database, run, ids, ready_at).get("sent")
        assert sent is not None and sent["n"] == count, sent
        result = tally(expected, sink.counts())
        drain_s = (sent["last"] - ready_at).total_seconds()
        p95_ms = sent["p95"].total_seconds() * 1000
        messages = [sink.raw[mid] for mid in expected if mid in sink.raw]
        sink.reset()
        started = time.perf_counter()
        with smtplib.SMTP(sink.host, sink.port) as smtp:
            for message in messages:
                # As Django's backend does for an address that is not ASCII (maría@...).
                utf8 = not all(address.isascii() for address in message.rcpt_tos)
                smtp.sendmail(
                    message.mail_from,
                    message.rcpt_tos,
                    message.content,
                    mail_options=["SMTPUTF8"] if utf8 else [],
                )
        raw_s = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.stop()
        sink.stop()
        prepare(site.database, "dispatch-cleanup", run)
        _drop_queues(queue)
    return Drain(
        count=count,
        drain_s=drain_s,
        p95_ms=p95_ms,
        raw_s=raw_s,
        duplicates=result.duplicates,
        lost=result.lost,
        distinct_checkins=int(setup["distinct"]),
    )


def _drop_queues(queue: str) -> None:
    """The run's queues in the shared Redis (a nudge may have left a message behind)."""
    client = redis.Redis.from_url(redis_url())
    for name in (queue, f"{queue}.mail", f"{queue}.files"):
        client.delete(name)


__all__ = ["ROOT", "Drain", "drain"]
