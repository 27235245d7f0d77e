"""Core tasks: the health canary and the outbox. Thin: ids in, one service call."""

from __future__ import annotations

import logging

from celery import shared_task

from .health import heartbeat_record

log = logging.getLogger(__name__)


@shared_task(ignore_result=True, expires=120)
def canary(source: str) -> None:
    """Prove a worker consumes the queue: stamp the heartbeat named ``source``."""
    heartbeat_record(name=source)


@shared_task(ignore_result=True, expires=60)
def outbox_dispatch() -> int:
    """Beat (every OUTBOX_DISPATCH_EVERY s) and commit nudges: claim due e-mails, enqueue sends.

    Safe to run many at once: each due row is claimed by exactly one run.
    """
    from .notifications.services import outbox_dispatch_due

    return outbox_dispatch_due()


@shared_task(ignore_result=True)
def outbox_send(notification_ids: list[int], lease_token: str) -> None:
    """Send the rows this lease still owns (mail queue). No Celery retries: a
    transient failure puts the row back in the database, due after a backoff."""
    from .notifications.services import outbox_send_claimed

    report = outbox_send_claimed(notification_ids=notification_ids, lease_token=lease_token)
    log.info("outbox send: %s", report)
