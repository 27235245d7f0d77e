"""The outbox's dispatch: claiming due rows, leases, attempts and poison messages.

Covers ``outbox_claim_due`` and ``outbox_send_claimed`` between racing
dispatchers: no row claimed twice, stale leases send nothing, lease renewal,
attempts counted only when a send starts, and the in-flight limit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from core.models import Notification
from core.notifications.services import (
    outbox_claim_due,
    outbox_drain,
    outbox_send_claimed,
    sending,
)

from .outbox_kinds import WorkerKilled
from .outbox_rows import S, ping

pytestmark = pytest.mark.django_db


def test_two_dispatchers_never_claim_the_same_row() -> None:
    for i in range(30):
        ping(f"race-{i}")
    first = outbox_claim_due(limit=20)
    second = outbox_claim_due(limit=20)
    assert len(first.ids) == 20 and len(second.ids) == 10
    assert not set(first.ids) & set(second.ids)


def test_a_lease_that_ran_out_is_claimed_again_and_the_old_lease_sends_nothing() -> None:
    row = ping("lease")
    stale = outbox_claim_due()
    Notification.objects.filter(pk=row.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    fresh = outbox_claim_due()
    assert fresh.ids == [row.pk]
    late = outbox_send_claimed(notification_ids=stale.ids, lease_token=stale.lease_token)
    assert late.skipped == 1 and mail.outbox == []
    assert outbox_send_claimed(notification_ids=fresh.ids, lease_token=fresh.lease_token).sent == 1
    row.refresh_from_db()
    assert row.attempts == 1 and len(mail.outbox) == 1  # the stale lease never tried


def expire_leases() -> None:
    Notification.objects.filter(status=S.SENDING).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_poison_message_fails_after_its_last_attempt(settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "tests.core.outbox_kinds.DyingBackend"
    row = ping("poison")
    for _attempt in range(2):
        claim = outbox_claim_due()
        with pytest.raises(WorkerKilled):  # its worker dies mid-send, every time
            outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
        expire_leases()
    outbox_claim_due()
    row.refresh_from_db()
    assert row.status == S.FAILED and row.last_error == "attempts exhausted"
    assert row.attempts == 2


def test_a_poison_message_uses_up_no_attempt_of_the_messages_after_it(code_backend: None) -> None:
    """
    GIVEN a chunk of three whose second message kills its worker
    WHEN the worker dies on it
    THEN the first is sent, the second has used one attempt and the third none
    """
    rows = [ping("chunk-1"), ping("chunk-2", to="poison+die@example.org"), ping("chunk-3")]
    claim = outbox_claim_due()
    assert claim.ids == [row.pk for row in rows]
    with pytest.raises(WorkerKilled):
        outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
    for row in rows:
        row.refresh_from_db()
    assert [(row.status, row.attempts) for row in rows] == [
        (S.SENT, 1),
        (S.SENDING, 1),
        (S.SENDING, 0),
    ]


def test_a_row_claimed_again_mid_chunk_is_left_to_its_new_lease(monkeypatch: Any) -> None:
    """
    GIVEN a chunk of two whose second row's lease runs out while the first is being sent
    WHEN another dispatcher claims that row meanwhile
    THEN the old lease sends only the first, and the second waits for its new lease untried
    """
    ping("mid-1")
    second = ping("mid-2")
    stale = outbox_claim_due()
    fresh: list[Any] = []
    build = sending.build_message

    def build_while_another_dispatcher_claims(**kwargs: Any) -> Any:
        if not fresh:
            Notification.objects.filter(pk=second.pk).update(
                lease_expires_at=timezone.now() - timedelta(seconds=1)
            )
            fresh.append(outbox_claim_due())
        return build(**kwargs)

    monkeypatch.setattr(sending, "build_message", build_while_another_dispatcher_claims)
    report = outbox_send_claimed(notification_ids=stale.ids, lease_token=stale.lease_token)
    assert (report.sent, report.skipped) == (1, 1) and len(mail.outbox) == 1
    second.refresh_from_db()
    assert fresh[0].ids == [second.pk]
    assert (second.status, second.lease_token, second.attempts) == (
        S.SENDING,
        fresh[0].lease_token,
        0,
    )


def test_starting_a_message_renews_its_lease_only_once_half_of_it_is_gone(
    monkeypatch: Any, settings: Any
) -> None:
    """
    GIVEN a chunk of three, claimed with a full lease, the third's lease nearly run out
    WHEN the chunk is sent
    THEN each message's attempt is counted as it starts, the second keeps the lease it was
         claimed with (an update in place), and the third gets a fresh one
    """
    rows = [ping("renew-1"), ping("renew-2"), ping("renew-3")]
    claim = outbox_claim_due()
    claimed_until = Notification.objects.get(pk=rows[1].pk).lease_expires_at
    assert claimed_until is not None
    nearly_out = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS / 4)
    Notification.objects.filter(pk=rows[2].pk).update(lease_expires_at=nearly_out)
    leases: dict[int, Any] = {}
    build = sending.build_message

    def build_and_note_the_lease(**kwargs: Any) -> Any:
        pk = kwargs["notification"].pk
        row = Notification.objects.get(pk=pk)
        leases[pk] = (row.lease_expires_at, row.attempts)
        return build(**kwargs)

    monkeypatch.setattr(sending, "build_message", build_and_note_the_lease)
    report = outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
    assert report.sent == 3
    assert leases[rows[1].pk] == (claimed_until, 1)
    renewed, attempts = leases[rows[2].pk]
    assert attempts == 1 and renewed > nearly_out + timedelta(seconds=1)
    assert renewed >= timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS / 2)


def test_claims_whose_sends_never_reached_a_worker_use_up_no_attempts(settings: Any) -> None:
    """
    GIVEN every mail worker down for longer than OUTBOX_MAX_ATTEMPTS leases
    WHEN the dispatcher claims the message again each time its lease runs out
    THEN the message is still sent once a worker returns, on its first attempt
    """
    settings.OUTBOX_MAX_ATTEMPTS = 2
    row = ping("workers-down")
    for _lease in range(5):
        assert outbox_claim_due().ids == [row.pk]  # the send task waits or is lost
        expire_leases()
    assert outbox_drain().sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 1)
    assert not Notification.objects.filter(kind="core.delivery_failed").exists()


def test_a_dispatcher_claims_only_what_the_workers_have_room_for(settings: Any) -> None:
    """
    GIVEN a backlog larger than OUTBOX_MAX_IN_FLIGHT
    WHEN a staff alert (priority 1) is queued behind it
    THEN the backlog is claimed half a room or more at a time, and the alert goes first
    """
    settings.OUTBOX_MAX_IN_FLIGHT = 6
    for i in range(10):
        ping(f"backlog-{i}")
    first = outbox_claim_due()
    assert len(first.ids) == 6
    assert outbox_claim_due().ids == []  # no room until the workers send
    urgent = ping("urgent", priority=1)
    outbox_send_claimed(notification_ids=first.ids[:2], lease_token=first.lease_token)
    assert outbox_claim_due().ids == []  # less than half the room: wait for a fuller top-up
    outbox_send_claimed(notification_ids=first.ids[2:3], lease_token=first.lease_token)
    second = outbox_claim_due()
    assert second.ids[0] == urgent.pk and len(second.ids) == 3
