"""A clinic's whole-study download: one zip of the case's de-identified DICOM files.

Built by a task in the files queue (``intake.tasks.files_study_archive_build``),
kept for a short time (``INTAKE_STUDY_ARCHIVE_MINUTES``), then deleted by the
daily retention sweep. It holds no identifier the single-file download would
not hold: the same de-identified copies, the same UID key for the case.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.privacy import holds_patient_data
from core.transitions import StatusMachine, TransitionTable


class StudyArchiveStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    BUILDING = "building", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be prepared")


IN_PROGRESS_ARCHIVE_STATUSES = (StudyArchiveStatus.REQUESTED, StudyArchiveStatus.BUILDING)


@holds_patient_data(subject="case")
class StudyArchive(StatusMachine, models.Model):
    """One requested zip of a shared case's imaging for one clinic."""

    TRANSITIONS = TransitionTable(
        {
            StudyArchiveStatus.REQUESTED: {StudyArchiveStatus.BUILDING, StudyArchiveStatus.FAILED},
            StudyArchiveStatus.BUILDING: {StudyArchiveStatus.READY, StudyArchiveStatus.FAILED},
            StudyArchiveStatus.READY: set(),
            StudyArchiveStatus.FAILED: set(),
        }
    )

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
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=StudyArchiveStatus.choices,
        default=StudyArchiveStatus.REQUESTED,
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    # Until then the link works; the sweep deletes the file and the row afterwards.
    expires_at = models.DateTimeField(_("expires"))
    started_at = models.DateTimeField(_("build started"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    file = models.FileField(_("file"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    file_count = models.PositiveIntegerField(_("files"), default=0)
    # Document ids left out because their pixels may show the patient (see README.txt).
    withheld_ids = models.JSONField(_("withheld documents"), default=list, blank=True)
    failure = models.CharField(_("failure"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("study archive")
        verbose_name_plural = _("study archives")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=StudyArchiveStatus.values),
                name="intake_studyarchive_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=StudyArchiveStatus.READY)
                | (models.Q(ready_at__isnull=False) & ~models.Q(file="")),
                name="intake_studyarchive_ready_has_file",
            ),
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

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def is_downloadable(self) -> bool:
        return self.status == StudyArchiveStatus.READY and not self.is_expired()

    @property
    def is_in_progress(self) -> bool:
        return self.status in IN_PROGRESS_ARCHIVE_STATUSES and not self.is_expired()

    @property
    def download_name(self) -> str:
        return f"{self.case.reference}-imaging.zip"
