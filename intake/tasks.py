"""Intake tasks: the daily retention sweep. E-mails leave through the outbox
(``core.notifications``), queued by the services that cause them."""

from __future__ import annotations

import logging

from celery import shared_task

from .services import access_tokens_purge, drafts_purge

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def intake_retention_sweep() -> dict[str, int]:
    """Daily: delete idle drafts and long-dead links. A rerun finds nothing new."""
    drafts = drafts_purge(acting_user=None)
    links = access_tokens_purge()
    logger.info("intake retention: %d drafts, %d links deleted", drafts, links)
    return {"drafts": drafts, "links": links}
