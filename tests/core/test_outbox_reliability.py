"""The outbox under real failures: worker processes on a Redis of their own, an aiosmtpd
sink and PostgreSQL (issue 9, "Reliability tests"); here, processes that race, die or
lose their broker, and messages that must never leave.

Each test starts its own ``redis-server``, SMTP sink, two ``celery -A config worker``
processes and two ``manage.py outbox_dispatch --loop`` processes (the ``rig`` fixture,
tests/core/outbox_scenario.py), and counts what the sink accepted by Message-ID. Each
prints one line: ``FIGURE outbox.<test> queued=N delivered=N duplicates=N lost=N drain_s=X``,
where ``drain_s`` runs from the moment the rows are committed and every process is up (or
the server is back, after the outage) until no row is queued or being sent.

The SMTP server's failures are in ``test_outbox_reliability_smtp.py``; throughput in
``test_outbox_reliability_throughput.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError
from core.models import Notification, Role
from core.notifications.services import notify
from tests.factories import UserFactory

from .mail_sink import Tally, tally
from .outbox_harness import OutboxRig
from .outbox_scenario import S, accepted_at_least, committed, queue_pings, statuses, wait_settled
from .processes import wait_until

pytestmark = pytest.mark.reliability


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
