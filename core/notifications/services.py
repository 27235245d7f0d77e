"""Writes of the outbox: create, claim, send, cancel, resend.

How a message leaves (docs/architecture.md, "Where an e-mail goes"):

1. ``notify()`` writes a queued row inside the caller's transaction and, on
   commit, nudges the dispatcher.
2. ``outbox_claim_due()`` (the dispatcher: beat every few seconds, or nudged)
   moves due rows to ``sending`` under a fresh lease token, with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it and a
   conditional UPDATE everywhere, and enqueues sends after its commit.
3. ``outbox_send_claimed()`` (the mail queue's worker) re-checks the lease,
   asks the kind whether the message is still wanted, renders it, sends it
   outside any transaction, then marks it sent. Errors: transient ones go
   back to ``queued`` with backoff and jitter; permanent ones fail the row
   and tell staff once.

A worker killed between the SMTP server's 250 and the "sent" commit leaves a
``sending`` row whose lease runs out; it is sent again (the only duplicate the
design allows). A message lost by the broker is found the same way.
"""

from __future__ import annotations

import contextlib
import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User

from .errors import DeliveryError, classify
from .kinds import kind_for, prepare_chunk
from .models import Notification, NotificationStatus
from .rendering import build_message
from .smtp import outbox_connection

log = logging.getLogger(__name__)
S = NotificationStatus

DELIVERY_FAILED_KIND = "core.delivery_failed"
UNREACHABLE = "unreachable"  # a transient failure of the server itself, not of one recipient


def _cfg(name: str) -> Any:
    return getattr(settings, name)


# --- Creating ---------------------------------------------------------------------------
def notify(
    *,
    kind: str,
    dedupe_key: str,
    about: models.Model | None = None,
    to: User | str | None = None,
    due_at: datetime | None = None,
    language: str = "",
    time_zone: str = "",
    data: dict[str, Any] | None = None,
    priority: int = 5,
) -> Notification:
    """Queue one e-mail inside the caller's transaction; a second call with the
    same ``dedupe_key`` returns the first row and queues nothing.

    ``to`` is a user, a bare address, or None (the kind finds the reader from
    ``about`` at send time). Side effect: the dispatcher is nudged on commit.
    """
    if kind_for(kind) is None:
        raise ValueError(f"unknown notification kind {kind!r}: register it in AppConfig.ready()")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("a dedupe key of 1 to 200 characters is required")
    defaults: dict[str, Any] = {
        "kind": kind,
        "due_at": due_at or timezone.now(),
        "language": language,
        "time_zone": time_zone,
        "data": data or {},
        "priority": priority,
        "message_id": make_msgid(domain=_cfg("OUTBOX_MESSAGE_ID_DOMAIN")),
    }
    if isinstance(to, User):
        defaults["recipient_user"] = to
    elif isinstance(to, str):
        defaults["recipient_address"] = to
    if about is not None:
        defaults["about_type"] = ContentType.objects.get_for_model(about)
        defaults["about_id"] = str(about.pk)
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key, defaults=defaults
        )
    if created and notification.due_at <= timezone.now() + timedelta(seconds=1):
        _nudge_on_commit()
    return notification


def _nudge() -> None:
    from core.tasks import outbox_dispatch

    try:
        outbox_dispatch.apply_async(expires=60)
    except Exception as exc:  # the broker is down: beat's next tick finds the rows
        log.warning("outbox: nudge not sent (%s); beat will dispatch", type(exc).__name__)


def _nudge_on_commit() -> None:
    """One nudge per transaction, however many rows it queued."""
    if not _cfg("OUTBOX_NUDGE"):
        return
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(entry[1] is _nudge for entry in conn.run_on_commit):
        return
    transaction.on_commit(_nudge)


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


# --- Sending (the mail worker) ----------------------------------------------------------
@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0


def _owned(pk: int, lease_token: str) -> models.QuerySet[Notification]:
    return Notification.objects.filter(pk=pk, status=S.SENDING, lease_token=lease_token)


def _backoff_seconds(attempts: int) -> float:
    base = float(_cfg("OUTBOX_RETRY_BASE_SECONDS"))
    cap = float(_cfg("OUTBOX_RETRY_MAX_SECONDS"))
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


def _in_business_transaction() -> bool:
    # A test case's own wrapping transaction (Django marks it) is not one of ours.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def outbox_send_claimed(*, notification_ids: Iterable[int], lease_token: str) -> SendReport:
    """Send each row this lease still owns, over one SMTP connection."""
    if _in_business_transaction():
        # Never hold a transaction open across SMTP (locks, and a rollback can't unsend).
        raise RuntimeError("outbox_send_claimed must not run inside a transaction")
    report = SendReport()
    ids = list(notification_ids)
    # One query loads the chunk and drops the rows this lease no longer holds (a task
    # that waited in the broker past its lease: they were claimed again meanwhile).
    owned = (
        Notification.objects.filter(status=S.SENDING, lease_token=lease_token)
        .select_related("recipient_user", "about_type")
        .in_bulk(ids)
    )
    rows = [owned[pk] for pk in ids if pk in owned]
    report.skipped = len(ids) - len(rows)
    if not rows:
        return report
    # One query per model for what the chunk is about, and each kind's bulk work (a
    # chunk's links), instead of queries per message.
    prepare_chunk(rows)
    backend: BaseEmailBackend = outbox_connection()
    started: bool | None = None  # the next row's attempt already counted (by the last "sent")?
    try:
        for index, notification in enumerate(rows):
            following = rows[index + 1].pk if index + 1 < len(rows) else None
            outcome, started = _send_one(
                notification, lease_token, backend, started=started, following=following
            )
            unreachable = outcome == UNREACHABLE
            outcome = "retried" if unreachable else outcome
            setattr(report, outcome, getattr(report, outcome) + 1)
            if unreachable and _cfg("OUTBOX_RELEASE_CHUNK_ON_TRANSIENT"):
                # The server is down or closing: hand the rest back rather than fail each
                # slowly. (One recipient's 4xx, such as greylisting, holds back nobody else.)
                for rest in rows[index + 1 :]:
                    if _release(rest.pk, lease_token, DeliveryError(True, None, "chunk released")):
                        report.retried += 1
                break
    finally:
        with contextlib.suppress(Exception):  # closing a dead connection may itself fail
            backend.close()
    return report


def _send_one(
    notification: Notification,
    lease_token: str,
    backend: BaseEmailBackend,
    *,
    started: bool | None,
    following: int | None,
) -> tuple[str, bool | None]:
    """Send one row; its outcome, and whether the chunk's ``following`` row was started
    (None: not tried; the next call starts it itself).

    ``started`` says whether this row's attempt was already counted by the statement
    that marked the previous row sent (True), found it no longer ours (False), or
    was not tried (None).
    """
    pk = notification.pk
    # Still ours? (A lease that ran out may have been claimed by another dispatcher.)
    # The attempt is counted here, before the send, so a message that kills its
    # worker every time still reaches OUTBOX_MAX_ATTEMPTS (_fail_exhausted).
    if started is None:
        started = _start(pk, lease_token)
    if not started:
        return "skipped", None
    notification.attempts += 1
    kind = kind_for(notification.kind)
    if kind is None:
        _finish_failed(pk, lease_token, DeliveryError(False, None, "unknown kind"))
        return "failed", None
    try:
        about = kind.about(notification)
        if not kind.is_wanted(notification, about):
            return _cancelled_or_skipped(pk, lease_token, "no longer wanted"), None
        reader = kind.reader(notification, about)
        if reader is None or not reader.email:
            return _cancelled_or_skipped(pk, lease_token, "no recipient"), None
        message = build_message(notification=notification, kind=kind, about=about, reader=reader)
        if isinstance(backend, SmtpBackend):
            backend.open()  # one connection for the whole chunk (a no-op once open)
        message.connection = backend
        message.send()
    except Exception as exc:
        error = classify(exc)
        log.warning("outbox: #%s %s: %s", pk, notification.kind, error.summary)
        with contextlib.suppress(Exception):
            backend.close()  # the next message opens a fresh connection
        if error.transient and notification.attempts < _cfg("OUTBOX_MAX_ATTEMPTS"):
            _release(pk, lease_token, error)
            # No reply code (refused, reset, timed out) or 421 "closing": the server, not
            # this recipient, is the problem.
            return (UNREACHABLE if error.code in (None, -1, 421) else "retried"), None
        _finish_failed(pk, lease_token, error)
        return "failed", None
    return "sent", _mark_sent(pk, lease_token, start=following)


def _start(pk: int, lease_token: str) -> bool:
    """Count an attempt of a row this lease owns and renew its lease; False: not ours."""
    lease = timedelta(seconds=_cfg("OUTBOX_LEASE_SECONDS"))
    return bool(
        _owned(pk, lease_token).update(
            lease_expires_at=timezone.now() + lease, attempts=F("attempts") + 1
        )
    )


_SENT_AND_START = """
UPDATE core_notification SET
    status = CASE WHEN id = %(sent)s THEN %(status_sent)s ELSE status END,
    sent_at = CASE WHEN id = %(sent)s THEN %(now)s ELSE sent_at END,
    status_changed_at = CASE WHEN id = %(sent)s THEN %(now)s ELSE status_changed_at END,
    lease_token = CASE WHEN id = %(sent)s THEN '' ELSE lease_token END,
    lease_expires_at = CASE
        WHEN id = %(sent)s THEN NULL
        WHEN lease_expires_at < %(renew_before)s THEN %(lease_until)s
        ELSE lease_expires_at
    END,
    last_error = CASE WHEN id = %(sent)s THEN '' ELSE last_error END,
    attempts = CASE WHEN id = %(sent)s THEN attempts ELSE attempts + 1 END
WHERE id IN (%(sent)s, %(start)s)
    AND (status = %(status_sending)s AND lease_token = %(lease)s) IS TRUE
"""
# Why the statement is shaped so:
# * the lease is renewed only once less than half of it is left. A row whose indexed
#   columns keep their values is updated in place (a HOT update: no entry in any of the
#   table's indexes), so starting the next message writes no index entry; the table keeps
#   free room on each page for that (core/0009, fillfactor).
# * "(...) IS TRUE" keeps the planner on the primary key: it otherwise reads the whole
#   lease (hundreds of rows) through core_notif_lease_token_idx, guessing a fresh token
#   is rare. The condition is the same.


def _mark_sent(pk: int, lease_token: str, *, start: int | None) -> bool | None:
    """Mark ``pk`` sent, right after the server accepted it; with ``start``, the same
    statement starts that row (``_start``), saving a round trip and a commit per message.

    Returns whether ``start`` was started (None without one). The "sent" mark stays one
    row's own, committed before the next message is rendered: a kill loses at most it.
    """
    now = timezone.now()
    if start is None:
        _owned(pk, lease_token).update(
            status=S.SENT,
            sent_at=now,
            status_changed_at=now,
            lease_token="",
            lease_expires_at=None,
            last_error="",
        )
        return None
    # One statement for both rows, in SQL of our own: the ORM spends more time composing
    # this CASE update (7 Case expressions) than the database spends running it.
    lease = timedelta(seconds=_cfg("OUTBOX_LEASE_SECONDS"))
    lease_until, renew_before = now + lease, now + lease / 2
    stamp = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _SENT_AND_START,
            {
                "sent": pk,
                "start": start,
                "now": stamp(now),
                "lease_until": stamp(lease_until),
                "renew_before": stamp(renew_before),
                "lease": lease_token,
                "status_sent": S.SENT.value,
                "status_sending": S.SENDING.value,
            },
        )
        updated = cursor.rowcount
    if updated != 1:
        return updated == 2
    # One of the two had left this lease (it ran out and another dispatcher claimed the
    # row). A row never comes back to a lease it left, so: is ``start`` still ours?
    return _owned(start, lease_token).exists()


def _release(pk: int, lease_token: str, error: DeliveryError) -> bool:
    """Back to ``queued``, due again after a backoff; the attempt counts."""
    row = Notification.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 1
    return bool(
        _owned(pk, lease_token).update(
            status=S.QUEUED,
            due_at=timezone.now() + timedelta(seconds=_backoff_seconds(row)),
            status_changed_at=timezone.now(),
            lease_token="",
            lease_expires_at=None,
            last_error=error.summary[:200],
        )
    )


def _cancelled_or_skipped(pk: int, lease_token: str, why: str) -> str:
    return "cancelled" if _finish_cancelled(pk, lease_token, why) else "skipped"


def _finish_cancelled(pk: int, lease_token: str, why: str) -> bool:
    return bool(
        _owned(pk, lease_token).update(
            status=S.CANCELLED,
            status_changed_at=timezone.now(),
            lease_token="",
            lease_expires_at=None,
            last_error=why,
        )
    )


def _finish_failed(pk: int, lease_token: str | None, error: DeliveryError) -> bool:
    """Fail the row and, in the same transaction, queue one staff alert for it."""
    with transaction.atomic():
        rows = Notification.objects.filter(pk=pk, status=S.SENDING)
        if lease_token is not None:
            rows = rows.filter(lease_token=lease_token)
        if not rows.update(
            status=S.FAILED,
            status_changed_at=timezone.now(),
            lease_token="",
            lease_expires_at=None,
            last_error=error.summary[:200],
        ):
            return False
        notification = Notification.objects.get(pk=pk)
        audit_event_record(
            action="core.notification.failed",
            acting_user=None,
            target=notification,
            data={"kind": notification.kind, "error": error.summary, "code": error.code},
        )
        if notification.kind != DELIVERY_FAILED_KIND:  # an alert about an alert would loop
            notify(
                kind=DELIVERY_FAILED_KIND,
                dedupe_key=f"{DELIVERY_FAILED_KIND}:{pk}",
                about=notification,
                to=_cfg("CONCIERGE_EMAIL"),
                priority=1,
            )
    return True


# --- Staff actions -----------------------------------------------------------------------
@transaction.atomic
def notification_cancel(*, notification: Notification, acting_user: User | None) -> Notification:
    """Cancel a queued, failed or in-flight message; audited."""
    locked = Notification.objects.select_for_update().get(pk=notification.pk)
    old = locked.transition_to(S.CANCELLED)
    locked.status_changed_at = timezone.now()
    locked.lease_token = ""
    locked.lease_expires_at = None
    locked.save()
    audit_event_record(
        action="core.notification.cancelled",
        acting_user=acting_user,
        target=locked,
        data={"kind": locked.kind, "from": old},
    )
    return locked


@transaction.atomic
def notification_resend(*, notification: Notification, acting_user: User | None) -> Notification:
    """Queue a failed or cancelled message again, due now, with its attempts reset."""
    locked = Notification.objects.select_for_update().get(pk=notification.pk)
    if locked.status not in (S.FAILED, S.CANCELLED):
        raise DomainError(
            _("Only a failed or cancelled message can be sent again."), code="not_resendable"
        )
    old = locked.transition_to(S.QUEUED)
    locked.attempts = 0
    locked.due_at = timezone.now()
    locked.status_changed_at = timezone.now()
    locked.last_error = ""
    locked.save()
    audit_event_record(
        action="core.notification.resent",
        acting_user=acting_user,
        target=locked,
        data={"kind": locked.kind, "from": old},
    )
    _nudge_on_commit()
    return locked


def notifications_cancel_about(*, about: models.Model, kinds: Iterable[str] | None = None) -> int:
    """Cancel every queued message about ``about`` (a withdrawn case, a cancelled booking).

    Call inside the service's transaction. A message already being sent is
    also asked at send time whether it is still wanted.
    """
    rows = Notification.objects.filter(
        about_type=ContentType.objects.get_for_model(about),
        about_id=str(about.pk),
        status__in=(S.QUEUED, S.FAILED),
    )
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    return rows.update(
        status=S.CANCELLED, status_changed_at=timezone.now(), last_error="no longer wanted"
    )


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
