"""A clinic's whole-study download: one zip of the case's de-identified DICOM files.

Built by a task in the files queue (``intake.tasks.files_study_archive_build``),
kept for a short time (``INTAKE_STUDY_ARCHIVE_MINUTES``), then deleted by the
daily retention sweep. It holds no identifier the single-file download would
not hold: the same de-identified copies, the same UID key for the case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.privacy import holds_patient_data

from .downloads import IN_PROGRESS_DOWNLOAD_STATUSES, DownloadStatus, PreparedDownload

# The states every prepared download shares, under the names this model's callers use.
StudyArchiveStatus = DownloadStatus
IN_PROGRESS_ARCHIVE_STATUSES = IN_PROGRESS_DOWNLOAD_STATUSES


@holds_patient_data(subject="case")
class StudyArchive(PreparedDownload):
    """One requested zip of a shared case's imaging for one clinic."""

    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="study_archives",
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        verbose_name=_("clinic"),
        on_delete=models.CASCADE,
        related_name="study_archives",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    # Document ids left out because their pixels may show the patient (see README.txt).
    withheld_ids = models.JSONField(_("withheld documents"), default=list, blank=True)

    class Meta:
        verbose_name = _("study archive")
        verbose_name_plural = _("study archives")
        ordering = ["-created_at", "-pk"]
        constraints = [
            *PreparedDownload.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="intake_studyarchive_expires_after_created",
            ),
            # One build at a time per case and clinic: asking twice shows the same one.
            models.UniqueConstraint(
                fields=["case", "clinic"],
                condition=models.Q(status__in=IN_PROGRESS_ARCHIVE_STATUSES),
                name="intake_studyarchive_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} imaging zip #{self.pk} ({self.status})"

    @property
    def download_name(self) -> str:
        return f"{self.case.reference}-imaging.zip"
