"""Follow-ups under real failures: schedules made by racing processes, invitations sent by
worker processes on a Redis of their own into an aiosmtpd sink, counted by Message-ID.

Each test prints ``FIGURE followups.<test> due=N delivered=N duplicates=N lost=N drain_s=X``.
The harness is the outbox's: tests/core/outbox_harness.py (workers, dispatchers),
processes.py (subprocesses, Redis) and mail_sink.py (the sink).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Count
from django.utils import timezone

from core.models import Notification, NotificationStatus
from followups.models import CheckIn, FollowUpSchedule
from followups.services import checkin_page_save, checkin_submit
from intake.models import Case, CaseStatus
from tests.clinics.factories import OfferingFactory
from tests.core.mail_sink import Tally, tally
from tests.core.outbox_harness import OutboxRig
from tests.core.processes import wait_until

from .factories import treated

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]
S = NotificationStatus
INVITE = "followups.checkin_invite"
REMINDER = "followups.checkin_reminder"


def treat(clinic: Any, count: int) -> None:
    """``count`` patients treated three days ago: each 2-day check-in is due now."""
    offering = OfferingFactory.create(clinic=clinic)
    for _n in range(count):
        treated(clinic, offering=offering, treated_on=timezone.localdate() - dt.timedelta(days=3))


def sweep_twice_at_once(rig: OutboxRig) -> None:
    """Two schedulers racing in two processes, as two beat instances would."""
    argv = [sys.executable, "manage.py", "followups_sweep"]
    procs = [
        subprocess.Popen(argv, env=rig.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _n in range(2)
    ]
    for proc in procs:
        out, _err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out.decode()


def due_invites() -> list[str]:
    return list(
        Notification.objects.filter(kind=INVITE, due_at__lte=timezone.now()).values_list(
            "message_id", flat=True
        )
    )


def wait_settled(rig: OutboxRig, kinds: tuple[str, ...], timeout: float) -> float:
    return wait_until(
        lambda: (
            not Notification.objects.filter(
                kind__in=kinds, status__in=(S.QUEUED, S.SENDING), due_at__lte=timezone.now()
            ).exists()
        ),
        timeout=timeout,
        interval=0.2,
        what="the due follow-up e-mails to settle",
        detail=rig.logs,
    )


def test_two_hundred_check_ins_due_at_once_each_arrive_exactly_once(
    rig: OutboxRig, personas: Any, figure: Callable[..., None]
) -> None:
    """
    GIVEN 200 completed treatments whose first check-in is due, and two racing schedulers
    WHEN two dispatchers and two worker processes send the invitations
    THEN each treatment has exactly one schedule and each invitation arrives exactly once;
    AND after 50 patients answer and 20 withdraw, the reminders reach only the other 130
    """
    treat(personas.clinic_a, 200)
    sweep_twice_at_once(rig)
    per_treatment = FollowUpSchedule.objects.values("treatment").annotate(n=Count("pk"))
    assert per_treatment.count() == 200 and {row["n"] for row in per_treatment} == {1}
    expected = due_invites()
    assert len(expected) == 200
    rig.start_workers(2)
    rig.start_dispatchers(2)
    started = time.monotonic()
    wait_settled(rig, (INVITE,), timeout=180)
    drain = time.monotonic() - started
    result = tally(expected, rig.sink.counts())
    figure(
        "followups.race",
        due=200,
        delivered=result.delivered,
        duplicates=result.duplicates,
        lost=result.lost,
        drain_s=f"{drain:.1f}",
    )
    assert result == Tally(queued=200, delivered=200, duplicates=0, lost=0)

    # Fifty answer; twenty withdraw; then every reminder's time comes.
    check_ins = list(CheckIn.objects.filter(time_point="d2").select_related("schedule"))
    for check_in in check_ins[:50]:
        checkin_page_save(
            check_in=check_in, page=1, values={"pain_now": 3, "pgic": 3, "function_limit": 3}
        )
        checkin_submit(check_in=check_in)
    withdrawn = [c.schedule.case_id for c in check_ins[50:70]]
    Case.objects.filter(pk__in=withdrawn).update(status=CaseStatus.WITHDRAWN)
    reminder_ids = [str(c.pk) for c in check_ins]
    Notification.objects.filter(kind=REMINDER, about_id__in=reminder_ids).update(
        due_at=timezone.now()
    )
    wanted = list(
        Notification.objects.filter(
            kind=REMINDER, about_id__in=[str(c.pk) for c in check_ins[70:]]
        ).values_list("message_id", flat=True)
    )
    unwanted = list(
        Notification.objects.filter(
            kind=REMINDER, about_id__in=[str(c.pk) for c in check_ins[:70]]
        ).values_list("message_id", flat=True)
    )
    wait_settled(rig, (REMINDER,), timeout=180)
    received = rig.sink.counts()
    reminders = tally(wanted, received)
    figure(
        "followups.reminders",
        due=len(wanted),
        delivered=reminders.delivered,
        duplicates=reminders.duplicates,
        lost=reminders.lost,
        not_sent=sum(1 for mid in unwanted if received[mid] == 0),
    )
    assert reminders == Tally(queued=130, delivered=130, duplicates=0, lost=0)
    assert all(received[mid] == 0 for mid in unwanted)


def test_a_worker_killed_mid_batch_loses_no_invitation(
    rig: OutboxRig, personas: Any, figure: Callable[..., None]
) -> None:
    """
    GIVEN 200 invitations due and two worker processes sending them
    WHEN both workers are SIGKILLed mid-batch and restarted
    THEN none is lost; a duplicate only for a kill between the server's 250 and the commit
    """
    rig.settings_env.update(OUTBOX_LEASE_SECONDS="8", OUTBOX_SEND_CHUNK="10")
    treat(personas.clinic_a, 200)
    sweep_twice_at_once(rig)
    expected = due_invites()
    rig.start_workers(2)
    rig.start_dispatchers(2)
    started = time.monotonic()
    wait_until(lambda: rig.sink.total() >= 60, timeout=120, what="60 deliveries", detail=rig.logs)
    in_flight = rig.kill_workers()
    at_kill = rig.sink.total()
    rig.start_workers(2)
    wait_settled(rig, (INVITE,), timeout=180)
    drain = time.monotonic() - started
    result = tally(expected, rig.sink.counts())
    figure(
        "followups.worker_kill",
        due=200,
        delivered=result.delivered,
        duplicates=result.duplicates,
        lost=result.lost,
        drain_s=f"{drain:.1f}",
    )
    assert at_kill < 200
    assert result.lost == 0 and result.delivered == 200
    assert result.duplicates <= in_flight


def test_an_smtp_outage_and_a_broker_restart_still_deliver_every_invitation_once(
    rig: OutboxRig, personas: Any, figure: Callable[..., None]
) -> None:
    """
    GIVEN 200 invitations due while the mail server is down
    WHEN it comes back after 15 s, and the test's Redis is killed and restarted mid-batch
    THEN every invitation arrives exactly once
    """
    rig.settings_env.update(OUTBOX_LEASE_SECONDS="8")
    treat(personas.clinic_a, 200)
    sweep_twice_at_once(rig)
    expected = due_invites()
    rig.sink.stop()
    rig.start_workers(2)
    rig.start_dispatchers(2)
    started = time.monotonic()
    time.sleep(15)
    assert not Notification.objects.filter(kind=INVITE, status=S.SENT).exists()
    assert not Notification.objects.filter(kind=INVITE, status=S.FAILED).exists()
    rig.sink.start()
    wait_until(lambda: rig.sink.total() >= 40, timeout=120, what="40 deliveries", detail=rig.logs)
    rig.redis.kill()
    rig.redis.start()
    wait_settled(rig, (INVITE,), timeout=240)
    drain = time.monotonic() - started
    result = tally(expected, rig.sink.counts())
    figure(
        "followups.outage_and_broker_restart",
        due=200,
        delivered=result.delivered,
        duplicates=result.duplicates,
        lost=result.lost,
        drain_s=f"{drain:.1f}",
    )
    assert result == Tally(queued=200, delivered=200, duplicates=0, lost=0)
