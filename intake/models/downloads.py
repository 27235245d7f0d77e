"""What every prepared download shares: a zip someone asks for, built by a task, expiring.

A clinic's imaging zip (``StudyArchive``) and a patient's copy of their data
(``DataExport``) are both asked for on a page, built in the files queue
(``intake.services.downloads``), offered for a while and deleted by the
retention sweep. The states, the transition table, the build's bookkeeping and
the file fields live here; each concrete model adds who asked, for what, its
own counts and its own constraints on those.

The field names, attributes and constraint names are the ones each table was
created with: moving them here changed no migration.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.transitions import StatusMachine, TransitionTable


class DownloadStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    BUILDING = "building", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be prepared")


IN_PROGRESS_DOWNLOAD_STATUSES = (DownloadStatus.REQUESTED, DownloadStatus.BUILDING)


class PreparedDownload(StatusMachine, models.Model):
    """Abstract: one requested zip, its build and the file it produced."""

    TRANSITIONS = TransitionTable(
        {
            DownloadStatus.REQUESTED: {DownloadStatus.BUILDING, DownloadStatus.FAILED},
            DownloadStatus.BUILDING: {DownloadStatus.READY, DownloadStatus.FAILED},
            DownloadStatus.READY: set(),
            DownloadStatus.FAILED: set(),
        }
    )

    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DownloadStatus.choices,
        default=DownloadStatus.REQUESTED,
    )
    # Before it is ready: the deadline for the build. Once ready: the end of the download.
    # The sweep deletes the file and the row afterwards.
    expires_at = models.DateTimeField(_("expires"))
    started_at = models.DateTimeField(_("build started"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    file = models.FileField(_("file"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    file_count = models.PositiveIntegerField(_("files"), default=0)
    failure = models.CharField(_("failure"), max_length=64, blank=True)

    class Meta:
        abstract = True
        # A concrete model lists these first in its own constraints.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DownloadStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=DownloadStatus.READY)
                | (models.Q(ready_at__isnull=False) & ~models.Q(file="")),
                name="%(app_label)s_%(class)s_ready_has_file",
            ),
        ]

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def is_downloadable(self) -> bool:
        return self.status == DownloadStatus.READY and not self.is_expired()

    @property
    def is_in_progress(self) -> bool:
        return self.status in IN_PROGRESS_DOWNLOAD_STATUSES and not self.is_expired()
