"""The outbox under a failing mail server: an outage of a minute, and a server that
refuses one recipient (550) and defers another (451); and the SMTP sink these tests
count with, tested on its own. The setting and the ``FIGURE`` lines are those of
``test_outbox_reliability.py``.

``OUTBOX_RELIABILITY_OUTAGE_SECONDS`` shortens the SMTP outage (default: the issue's 60 s).
"""

from __future__ import annotations

import os
import smtplib
import time
from collections.abc import Callable

import pytest
from django.db.models import Max

from core.models import Notification
from core.notifications.services import DELIVERY_FAILED_KIND

from .mail_sink import MailSink, Tally, tally
from .outbox_harness import OutboxRig
from .outbox_scenario import S, committed, queue_pings, statuses, wait_settled
from .processes import wait_until

pytestmark = pytest.mark.reliability
OUTAGE_SECONDS = float(os.environ.get("OUTBOX_RELIABILITY_OUTAGE_SECONDS", "60"))


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
