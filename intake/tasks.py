"""Intake tasks: the daily retention sweep. E-mails leave through the outbox
(``core.notifications``), queued by the services that cause them."""

from __future__ import annotations

import logging

from celery import shared_task

from .services import access_tokens_purge, drafts_purge
from .services.archives import study_archive_build
from .services.data_export import data_export_build, data_exports_purge
from .services.retention import study_archives_purge

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def intake_retention_sweep() -> dict[str, int]:
    """Daily: delete idle drafts and long-dead links. A rerun finds nothing new."""
    drafts = drafts_purge(acting_user=None)
    links = access_tokens_purge()
    archives = study_archives_purge()
    exports = data_exports_purge()
    logger.info(
        "intake retention: %d drafts, %d links, %d imaging zips, %d patient exports deleted",
        drafts,
        links,
        archives,
        exports,
    )
    return {"drafts": drafts, "links": links, "archives": archives, "exports": exports}


# The "files_" prefix routes it to the files queue (CELERY_TASK_ROUTES): a 1 GiB case takes
# minutes of disk and CPU, and must not hold up e-mail or the health canary.
@shared_task(ignore_result=True, acks_late=True, time_limit=1800, soft_time_limit=1740)
def files_study_archive_build(archive_id: int) -> None:
    """Build a clinic's zip of a case's de-identified DICOM; a redelivery finds it claimed."""
    study_archive_build(archive_id=archive_id)


@shared_task(ignore_result=True, acks_late=True, time_limit=1800, soft_time_limit=1740)
def files_data_export_build(export_id: int) -> None:
    """Build a patient's copy of their data (files queue); a redelivery finds it claimed."""
    data_export_build(export_id=export_id)
