"""The outbox's throughput: two worker processes and two dispatchers drain 5,000 e-mails,
timed against raw ``smtplib`` sending the same messages to the same sink. The setting and
the ``FIGURE`` lines are those of ``test_outbox_reliability.py``.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from email.utils import make_msgid

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import Notification

from .mail_sink import Tally, tally
from .outbox_harness import OutboxRig
from .outbox_scenario import S, committed, statuses, wait_settled

pytestmark = pytest.mark.reliability


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
