"""The mail worker's side: send a claimed chunk and record each row's outcome.

Its own module because it is the outbox's hot path (the dispatch benchmark):
one SMTP connection per chunk, one statement per message where it can, and
every write conditional on the lease so a row claimed again elsewhere is left
alone. Failing a row (``_finish_failed``) is here too, as the dispatcher fails
rows whose attempts ran out the same way.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from core.audit import audit_event_record

from ..errors import DeliveryError, classify
from ..kinds import kind_for, prepare_chunk
from ..models import Notification, NotificationStatus
from ..rendering import build_message
from ..smtp import outbox_connection
from .queueing import _cfg, notify

log = logging.getLogger(__name__)
S = NotificationStatus

DELIVERY_FAILED_KIND = "core.delivery_failed"
UNREACHABLE = "unreachable"  # a transient failure of the server itself, not of one recipient


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
