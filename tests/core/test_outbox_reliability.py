"""The outbox under real failures: worker processes on a Redis of their own, an aiosmtpd
sink and PostgreSQL (issue 9, "Reliability tests").

Each test starts its own ``redis-server``, SMTP sink, two ``celery -A config worker``
processes and two ``manage.py outbox_dispatch --loop`` processes (tests/core/outbox_harness.py),
and counts what the sink accepted by Message-ID. Each prints one line:
``FIGURE outbox.<test> queued=N delivered=N duplicates=N lost=N drain_s=X``, where
``drain_s`` runs from the moment the rows are committed and every process is up (or the
server is back, after the outage) until no row is queued or being sent.

``OUTBOX_RELIABILITY_OUTAGE_SECONDS`` shortens the SMTP outage (default: the issue's 60 s).
"""

from __future__ import annotations

import os
import smtplib
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from core.exceptions import DomainError
from core.models import Notification, NotificationStatus, Role
from core.notifications.services import DELIVERY_FAILED_KIND, notify
from tests.conftest import require
from tests.factories import UserFactory

from . import outbox_kinds  # noqa: F401 - registers tests.ping in this process too
from .outbox_harness import (
    CELERY,
    REDIS_SERVER,
    MailSink,
    OutboxRig,
    RedisServer,
    Tally,
    database_url,
    tally,
    wait_until,
)

pytestmark = pytest.mark.reliability
# The processes see only committed rows: every scenario runs outside a test transaction.
committed = pytest.mark.django_db(transaction=True)
S = NotificationStatus
OUTAGE_SECONDS = float(os.environ.get("OUTBOX_RELIABILITY_OUTAGE_SECONDS", "60"))


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[OutboxRig]:
    """A Redis, an SMTP sink and (once the test starts them) workers and dispatchers of its own."""
    require(connection.vendor == "postgresql", "reliability tests need PostgreSQL (DATABASE_URL)")
    require(REDIS_SERVER is not None, "redis-server is not installed (apt-get install redis)")
    require(CELERY.exists(), f"celery is not installed at {CELERY}")
    redis = RedisServer(tmp_path)
    redis.start()
    sink = MailSink()
    sink.start()
    rig = OutboxRig(
        workdir=tmp_path,
        database_url=database_url(connection.settings_dict),
        redis=redis,
        sink=sink,
    )
    try:
        yield rig
    finally:
        rig.close()
        sink.stop()
        redis.kill()


def queue_pings(count: int, prefix: str, to: Callable[[int], str] | None = None) -> list[str]:
    """Queue ``count`` e-mails in one transaction (as one service would); their Message-IDs."""
    address = to or (lambda i: f"reader{i}@patients.example")
    with transaction.atomic():
        rows = [
            notify(kind="tests.ping", dedupe_key=f"{prefix}:{i}", to=address(i))
            for i in range(count)
        ]
    return [row.message_id for row in rows]


def queue_pings_in_bulk(count: int, prefix: str) -> list[str]:
    """The rows ``queue_pings`` writes, in a few INSERTs: on a busy machine 5,000 notify()
    calls cost the suite most of a minute, and only the drain that follows is measured."""
    now = timezone.now()
    rows = [
        Notification(
            kind="tests.ping",
            dedupe_key=f"{prefix}:{i}",
            recipient_address=f"reader{i}@patients.example",
            due_at=now,
            message_id=make_msgid(domain=settings.OUTBOX_MESSAGE_ID_DOMAIN),
        )
        for i in range(count)
    ]
    Notification.objects.bulk_create(rows, batch_size=1000)
    return [row.message_id for row in rows]


def statuses() -> dict[str, int]:
    rows = Notification.objects.values("status").annotate(n=Count("pk")).order_by()
    return {row["status"]: row["n"] for row in rows}


def accepted_at_least(sink: MailSink, count: int) -> Callable[[], bool]:
    return lambda: sink.total() >= count


def wait_settled(rig: OutboxRig, timeout: float) -> float:
    """Until no row is queued or being sent: nothing can be sent again after this."""
    return wait_until(
        lambda: not Notification.objects.filter(status__in=(S.QUEUED, S.SENDING)).exists(),
        timeout=timeout,
        interval=0.1,
        what="every notification to settle",
        detail=lambda: f"statuses: {statuses()}\n{rig.logs()}",
    )


@committed
def test_two_racing_dispatchers_and_two_workers_deliver_each_of_500_exactly_once(
    rig: OutboxRig, figure: Callable[..., None]
) -> None:
    """
    GIVEN two dispatcher processes claiming small batches and two worker processes
    WHEN 500 e-mails become due at once
    THEN each is claimed once, sent once and accepted by the server once
    """
    rig.settings_env["OUTBOX_CLAIM_BATCH"] = "50"  # many rounds, so the two really race
    rig.start()  # boots while the rows are queued
    expected = queue_pings(500, "race")
    rig.wait_ready()
    drain = wait_settled(rig, timeout=120)
    result = tally(expected, rig.sink.counts())
    claims = rig.claims()
    figure(
        "outbox.race", **result.figure(), drain_s=f"{drain:.1f}", claims="+".join(map(str, claims))
    )
    assert result == Tally(queued=500, delivered=500, duplicates=0, lost=0)
    assert statuses() == {S.SENT: 500}
    assert sum(claims) == 500  # between them, each row claimed once
    assert Notification.objects.filter(attempts=1).count() == 500  # and sent on the first try


@committed
@pytest.mark.parametrize(
    ("pool", "concurrency"),
    [("prefork", 1), ("threads", 4)],  # the strictest case, and the production mail worker
)
def test_workers_killed_three_times_mid_batch_lose_nothing(
    rig: OutboxRig, figure: Callable[..., None], pool: str, concurrency: int
) -> None:
    """
    GIVEN two worker processes sending 600 e-mails
    WHEN both workers' process groups are SIGKILLed three times mid-batch and restarted
    THEN nothing is lost, and a message is sent twice only if a kill fell between the
         server's 250 and the commit: at most one per pool member (process or thread)
         per kill
    """
    rig.pool, rig.concurrency = pool, concurrency
    # Short leases so what a killed worker held comes round in seconds; a small room
    # in flight so the restarted workers do not wade through stale send tasks.
    rig.settings_env.update(
        OUTBOX_LEASE_SECONDS="8",
        OUTBOX_MAX_IN_FLIGHT="100",
        OUTBOX_CLAIM_BATCH="50",
        OUTBOX_SEND_CHUNK="10",
    )
    count = 600
    rig.start()  # boots while the rows are queued
    expected = queue_pings(count, "kill")
    rig.wait_ready()
    started = time.monotonic()
    duplicate_limit = 0
    delivered_at_kill = []
    for threshold in (100, 250, 400):
        wait_until(
            accepted_at_least(rig.sink, threshold),
            timeout=120,
            what=f"{threshold} deliveries",
            detail=rig.logs,
        )
        duplicate_limit += rig.kill_workers()
        delivered_at_kill.append(rig.sink.total())
        rig.start_workers(2)
    wait_settled(rig, timeout=180)
    drain = time.monotonic() - started
    result = tally(expected, rig.sink.counts())
    figure(
        f"outbox.worker_kill.{pool}",
        **result.figure(),
        drain_s=f"{drain:.1f}",
        kills=3,
        pool_members=concurrency * 2,
    )
    assert all(n < count for n in delivered_at_kill), delivered_at_kill  # mid-batch
    assert result.lost == 0 and result.delivered == count
    assert statuses() == {S.SENT: count}
    assert result.duplicates <= duplicate_limit


@committed
def test_an_smtp_outage_of_a_minute_delays_mail_but_loses_and_duplicates_nothing(
    rig: OutboxRig, figure: Callable[..., None]
) -> None:
    """
    GIVEN the mail server down and 200 e-mails due
    WHEN it stays down for a minute, then comes back
    THEN every e-mail is delivered once after it returns and none is marked failed
    """
    count = 200
    rig.sink.stop()
    rig.start()  # boots while the rows are queued
    expected = queue_pings(count, "outage")
    rig.wait_ready()
    down_since = time.monotonic()
    # Each e-mail is tried (or handed back with its chunk) and queued again, never failed.
    wait_until(
        lambda: not Notification.objects.filter(last_error="").exists(),
        timeout=OUTAGE_SECONDS + 30,
        what="every e-mail to go round during the outage",
        detail=lambda: f"statuses: {statuses()}\n{rig.logs()}",
    )
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_since)))
    during = statuses()
    assert S.FAILED not in during and S.SENT not in during, during
    errors = set(Notification.objects.values_list("last_error", flat=True))
    assert errors <= {"ConnectionRefusedError", "chunk released"}, errors
    assert Notification.objects.aggregate(n=Max("attempts"))["n"] >= 2  # retried meanwhile
    rig.sink.start()
    drain = wait_settled(rig, timeout=120)
    result = tally(expected, rig.sink.counts())
    figure(
        "outbox.smtp_outage",
        **result.figure(),
        drain_s=f"{drain:.1f}",
        outage_s=f"{OUTAGE_SECONDS:.0f}",
    )
    assert result == Tally(queued=count, delivered=count, duplicates=0, lost=0)
    assert statuses() == {S.SENT: count}


@committed
def test_a_550_fails_once_with_one_staff_alert_and_a_451_is_retried_until_delivered(
    rig: OutboxRig, figure: Callable[..., None]
) -> None:
    """
    GIVEN a server that answers 550 for one recipient and 451 twice for another
    WHEN 50 e-mails including those two are sent
    THEN the 550 fails at once with exactly one staff alert, the 451 is delivered on its
         third try, and the other 48 are delivered once
    """
    gone, busy = "gone@patients.example", "busy@patients.example"
    rig.sink.refuse[gone] = "550 5.1.1 No such user here"
    rig.sink.defer[busy] = 2
    addresses = {10: gone, 30: busy}
    rig.start()  # boots while the rows are queued
    expected = queue_pings(
        50, "codes", to=lambda i: addresses.get(i, f"reader{i}@patients.example")
    )
    rig.wait_ready()
    drain = wait_settled(rig, timeout=120)
    received = rig.sink.counts()
    failed = Notification.objects.get(dedupe_key="codes:10")
    retried = Notification.objects.get(dedupe_key="codes:30")
    alerts = list(Notification.objects.filter(kind=DELIVERY_FAILED_KIND))
    deliverable = [mid for mid in expected if mid != failed.message_id]
    result = tally(deliverable, received, queued=len(expected))
    figure(
        "outbox.refusals",
        **result.figure(),
        drain_s=f"{drain:.1f}",
        failed=statuses().get(S.FAILED, 0),
        alerts=len(alerts),
    )
    assert (failed.status, failed.attempts) == (S.FAILED, 1)
    assert failed.last_error == "SMTP 550 recipient refused"
    assert received[failed.message_id] == 0
    assert [(a.about_id, a.status) for a in alerts] == [(str(failed.pk), S.SENT)]
    assert received[alerts[0].message_id] == 1
    assert (retried.status, retried.attempts) == (S.SENT, 3)
    assert rig.sink.replies[(busy, 451)] == 2
    assert result == Tally(queued=50, delivered=49, duplicates=0, lost=0)


@committed
def test_a_broker_restart_mid_batch_loses_nothing(
    rig: OutboxRig, figure: Callable[..., None]
) -> None:
    """
    GIVEN 500 e-mails being sent through the test's own Redis
    WHEN that Redis is killed mid-batch (every queued send task is lost) and started again
    THEN every e-mail is still delivered once: the database, not the broker, holds what is due
    """
    rig.settings_env.update(OUTBOX_LEASE_SECONDS="8", OUTBOX_MAX_IN_FLIGHT="100")
    count = 500
    rig.start()  # boots while the rows are queued
    expected = queue_pings(count, "broker")
    rig.wait_ready()
    started = time.monotonic()
    wait_until(accepted_at_least(rig.sink, 100), timeout=120, what="100 deliveries")
    rig.redis.kill()
    delivered_at_restart = rig.sink.total()
    rig.redis.start()
    wait_settled(rig, timeout=180)
    drain = time.monotonic() - started
    result = tally(expected, rig.sink.counts())
    figure("outbox.broker_restart", **result.figure(), drain_s=f"{drain:.1f}")
    assert delivered_at_restart < count  # the restart really was mid-batch
    assert result == Tally(queued=count, delivered=count, duplicates=0, lost=0)
    assert statuses() == {S.SENT: count}


@transaction.atomic
def ping_then_fail(key: str) -> None:
    """A service that queues its e-mail, then fails: the rollback must take the e-mail too."""
    notify(kind="tests.ping", dedupe_key=key, to="reader@patients.example")
    raise DomainError("the business change failed after notify()")


@committed
def test_nothing_leaves_for_a_rolled_back_service_or_a_message_no_longer_wanted(
    rig: OutboxRig, figure: Callable[..., None]
) -> None:
    """
    GIVEN running workers and dispatchers
    WHEN a service raises after notify(), and another message's subject is deleted
         before it is due
    THEN neither is sent (the second is cancelled), while a message queued after them is
    """
    rig.start()
    rig.wait_ready()
    with pytest.raises(DomainError):
        ping_then_fail("rolled-back")
    patient = UserFactory.create(roles=[Role.PATIENT])
    soon = timezone.now() + timedelta(seconds=2)
    withdrawn = notify(
        kind="tests.ping",
        dedupe_key="withdrawn",
        about=patient,
        to="reader@patients.example",
        due_at=soon,
    )
    patient.delete()  # gone before the message is due: no longer wanted at send time
    control = notify(
        kind="tests.ping",
        dedupe_key="control",
        to="reader@patients.example",
        due_at=soon + timedelta(seconds=0.5),
    )
    drain = wait_settled(rig, timeout=60)
    received = rig.sink.counts()
    withdrawn.refresh_from_db()
    result = tally([control.message_id], received, queued=3)
    figure("outbox.unwanted", **result.figure(), drain_s=f"{drain:.1f}", cancelled=1)
    assert not Notification.objects.filter(dedupe_key="rolled-back").exists()
    assert (withdrawn.status, withdrawn.last_error) == (S.CANCELLED, "no longer wanted")
    assert dict(received) == {control.message_id: 1}  # only the control message left


@committed
def test_throughput_of_two_workers_against_raw_smtplib(
    rig: OutboxRig, figure: Callable[..., None]
) -> None:
    """
    GIVEN two worker processes and two dispatchers
    WHEN 5,000 e-mails are due at once
    THEN all are delivered once, and the rate is printed as a ratio to raw smtplib
         sending the same rendered messages over one connection to the same sink
    """
    count = 5000
    rig.sink.keep_raw = True
    rig.start()  # boots while the rows are queued
    expected = queue_pings_in_bulk(count, "bulk")
    rig.wait_ready()
    drain = wait_settled(rig, timeout=600)
    result = tally(expected, rig.sink.counts())
    assert result == Tally(queued=count, delivered=count, duplicates=0, lost=0)

    messages = [rig.sink.raw[mid] for mid in expected]
    rig.sink.reset()
    started = time.perf_counter()
    with smtplib.SMTP(rig.sink.host, rig.sink.port) as smtp:
        for message in messages:
            smtp.sendmail(message.mail_from, message.rcpt_tos, message.content)
    raw_seconds = time.perf_counter() - started
    assert rig.sink.total() == count

    outbox_rate, raw_rate = count / drain, count / raw_seconds
    figure(
        "outbox.throughput",
        **result.figure(),
        drain_s=f"{drain:.1f}",
        per_s=f"{outbox_rate:.0f}",
        raw_per_s=f"{raw_rate:.0f}",
        ratio=f"{outbox_rate / raw_rate:.3f}",
    )
    assert statuses() == {S.SENT: count}


def test_the_sink_counts_by_message_id_and_answers_per_recipient() -> None:
    """The harness itself: a refused recipient is not counted, a deferred one is counted
    once accepted, and a second copy of a message counts as a duplicate."""
    sink = MailSink()
    sink.start()
    sink.refuse["gone@example.org"] = "550 5.1.1 No such user here"
    sink.defer["busy@example.org"] = 1
    message = b"Message-ID: <one@test>\r\nSubject: hi\r\n\r\nbody\r\n"
    try:
        with smtplib.SMTP(sink.host, sink.port) as smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("a@example.org", ["gone@example.org"], message)
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("a@example.org", ["busy@example.org"], message)
            smtp.sendmail("a@example.org", ["busy@example.org"], message)
            smtp.sendmail("a@example.org", ["reader@example.org"], message)
    finally:
        sink.stop()
    assert tally(["<one@test>", "<two@test>"], sink.counts()) == Tally(
        queued=2, delivered=1, duplicates=1, lost=1
    )
    assert sink.replies == {("gone@example.org", 550): 1, ("busy@example.org", 451): 1}
