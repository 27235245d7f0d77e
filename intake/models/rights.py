"""A patient's rights over their data: the export they download, the erasure they ask for.

``DataExport``: one requested ZIP of everything we hold about the patient, built
in the files queue (``intake.tasks.files_data_export_build``), downloadable from
the case page for ``INTAKE_EXPORT_HOURS``, then deleted by the retention sweep.

``ErasureRequest``: asked for on the case page, confirmed by staff in the admin.
Once carried out it is the anonymous tombstone: the patient link is gone and
only counts, dates and keyed hashes of the case references remain.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.privacy import holds_patient_data
from core.transitions import StatusMachine, TransitionTable

from .downloads import IN_PROGRESS_DOWNLOAD_STATUSES, DownloadStatus, PreparedDownload

# The states every prepared download shares, under the names this model's callers use.
DataExportStatus = DownloadStatus
IN_PROGRESS_EXPORT_STATUSES = IN_PROGRESS_DOWNLOAD_STATUSES


@holds_patient_data(subject="case")
class DataExport(PreparedDownload):
    """ "Download everything we hold about me": one request and the file it produced."""

    patient = models.ForeignKey(
        "intake.Patient",
        verbose_name=_("patient"),
        on_delete=models.CASCADE,
        related_name="data_exports",
    )
    # The case page it was asked from: the e-mail links back to it.
    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("asked from case"),
        on_delete=models.CASCADE,
        related_name="data_exports",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    downloaded_at = models.DateTimeField(_("first downloaded"), null=True, blank=True)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            *PreparedDownload.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("requested_at")),
                name="intake_dataexport_expires_after_requested",
            ),
            # Asking twice while one is being built shows the same one.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status__in=IN_PROGRESS_EXPORT_STATUSES),
                name="intake_dataexport_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.status})"

    @property
    def download_name(self) -> str:
        return f"{self.case.reference}-my-data.zip"


class ErasureStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested by the patient")
    HELD = "held", _("On legal hold")
    COMPLETED = "completed", _("Erased")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ERASURE_STATUSES = (ErasureStatus.REQUESTED, ErasureStatus.HELD)


@holds_patient_data(subject="patient")
class ErasureRequest(StatusMachine, models.Model):
    """A patient's request to erase their data and, once carried out, its tombstone."""

    TRANSITIONS = TransitionTable(
        {
            ErasureStatus.REQUESTED: {
                ErasureStatus.HELD,
                ErasureStatus.COMPLETED,
                ErasureStatus.CANCELLED,
            },
            # A hold ends (an event closed, a retention period ran out): staff confirm again.
            ErasureStatus.HELD: {ErasureStatus.COMPLETED, ErasureStatus.CANCELLED},
            ErasureStatus.COMPLETED: set(),
            ErasureStatus.CANCELLED: set(),
        }
    )

    # Null once erased: the tombstone names nobody.
    patient = models.ForeignKey(
        "intake.Patient",
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="erasure_requests",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_at = models.DateTimeField(_("last decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Codes, sources and end dates of the holds found at the last decision.
    holds = models.JSONField(_("legal holds"), default=list, blank=True)
    completed_at = models.DateTimeField(_("erased"), null=True, blank=True)
    # The tombstone: keyed hashes of the case references (a patient who comes back
    # with a reference can be told it was erased; nobody can read one back), counts
    # of what went, by model, and the dates of the first and last case.
    reference_hashes = models.JSONField(_("reference hashes"), default=list, blank=True)
    counts = models.JSONField(_("erased (counts)"), default=dict, blank=True)
    first_case_on = models.DateField(_("first case"), null=True, blank=True)
    last_case_on = models.DateField(_("last case"), null=True, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ErasureStatus.values),
                name="intake_erasurerequest_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ErasureStatus.COMPLETED)
                | models.Q(completed_at__isnull=False, patient__isnull=True),
                name="intake_erasurerequest_completed_is_anonymous",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status__in=OPEN_ERASURE_STATUSES),
                name="intake_erasurerequest_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"erasure #{self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ERASURE_STATUSES
