"""The dispatcher's side: claim due rows under a lease and hand them to the mail queue.

Its own module because it is the one place rows enter ``sending`` (safe with
any number of dispatchers) and ``tests/deploy/test_query_plans.py`` checks its
claim query's plan; ``outbox_drain`` is here as the in-process dispatcher.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..errors import DeliveryError
from ..models import Notification, NotificationStatus
from .queueing import _cfg, _nudge
from .sending import SendReport, _finish_failed, outbox_send_claimed

log = logging.getLogger(__name__)
S = NotificationStatus


# --- Claiming (the dispatcher) ----------------------------------------------------------
@dataclass
class ClaimResult:
    lease_token: str = ""
    ids: list[int] = field(default_factory=list)
    expired_failed: int = 0

    def chunks(self, size: int) -> list[list[int]]:
        return [self.ids[i : i + size] for i in range(0, len(self.ids), size)]


def _claimable(now: datetime) -> Q:
    return Q(status=S.QUEUED, due_at__lte=now) | Q(status=S.SENDING, lease_expires_at__lt=now)


def outbox_claim_due(*, limit: int | None = None, now: datetime | None = None) -> ClaimResult:
    """Move due rows (and rows whose lease ran out) to ``sending`` under one new
    lease token. Safe with any number of dispatchers on any number of machines:
    a row is claimed by exactly one of them.
    """
    now = now or timezone.now()
    limit = limit or _cfg("OUTBOX_CLAIM_BATCH")
    result = ClaimResult(lease_token=uuid.uuid4().hex)
    with transaction.atomic():
        result.expired_failed = _fail_exhausted(now)
        # Backpressure: claimed rows wait in the broker's first-in-first-out queue.
        # Claiming more than the workers send within a lease only makes leases run
        # out and rows be claimed again, and a staff alert (priority 1) would wait
        # behind the whole backlog; unclaimed, it waits here, in priority order.
        # It tops up only once half the room is free, so sends leave in full chunks, not
        # a few rows at a time as each send finishes.
        room = _cfg("OUTBOX_MAX_IN_FLIGHT")
        room -= Notification.objects.filter(status=S.SENDING, lease_expires_at__gte=now).count()
        if room <= 0 or room * 2 < _cfg("OUTBOX_MAX_IN_FLIGHT"):
            return result
        limit = min(limit, room)
        candidates = Notification.objects.filter(_claimable(now)).order_by("priority", "due_at")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return result
        # The condition is repeated in the UPDATE: without SKIP LOCKED (SQLite) it is
        # what makes two dispatchers' claims disjoint.
        Notification.objects.filter(_claimable(now), pk__in=ids).update(
            status=S.SENDING,
            lease_token=result.lease_token,
            lease_expires_at=now + timedelta(seconds=_cfg("OUTBOX_LEASE_SECONDS")),
            # No attempt is counted here: a claim whose send task never reached a
            # worker (workers down, the broker lost it) is claimed again when its
            # lease runs out, and must not use up the message's attempts.
            status_changed_at=now,
        )
        result.ids = list(
            Notification.objects.filter(lease_token=result.lease_token)
            .order_by("priority", "due_at")
            .values_list("pk", flat=True)
        )
    return result


def _fail_exhausted(now: datetime) -> int:
    """A row whose lease ran out after its last allowed attempt (a poison message
    that kills its worker every time) fails instead of going round again."""
    exhausted = list(
        Notification.objects.filter(
            status=S.SENDING,
            lease_expires_at__lt=now,
            attempts__gte=_cfg("OUTBOX_MAX_ATTEMPTS"),
        ).values_list("pk", flat=True)[:100]
    )
    for pk in exhausted:
        _finish_failed(pk, None, DeliveryError(False, None, "attempts exhausted"))
    return len(exhausted)


def outbox_dispatch_due() -> int:
    """Claim what is due and enqueue its sends after commit; returns how many."""
    from core.tasks import outbox_send

    claim = outbox_claim_due()
    chunk = _cfg("OUTBOX_SEND_CHUNK")
    for ids in claim.chunks(chunk):
        try:
            outbox_send.apply_async(args=(ids, claim.lease_token))
        except Exception as exc:  # broker down: the leases run out and beat claims again
            log.warning("outbox: send not enqueued (%s)", type(exc).__name__)
            break
    if len(claim.ids) >= _cfg("OUTBOX_CLAIM_BATCH"):
        _nudge()  # more is due: keep draining without waiting for beat
    return len(claim.ids)


def outbox_drain(*, rounds: int = 20) -> SendReport:
    """Claim and send everything due now, in this process (management command, tests)."""
    total = SendReport()
    for _round in range(rounds):
        claim = outbox_claim_due()
        if not claim.ids:
            break
        report = outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
        for name in ("sent", "retried", "failed", "cancelled", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
    return total
