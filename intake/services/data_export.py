"""A patient's copy of everything we hold about them: asked for, built, downloaded, deleted.

The patient asks on their case page (``data_export_request``); a task in the
files queue builds the ZIP into a temp file outside any transaction and moves
it into private storage (``data_export_build``); the case page then offers it
for ``INTAKE_EXPORT_HOURS`` and the outbox tells the patient it is ready. Each
step writes one audit row (ids only). The retention sweep deletes expired ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from core.audit import audit_event_record
from core.notifications.services import notify

from ..models import Case, DataExport, DataExportStatus, Patient
from .downloads import DownloadRecipe, download_build, download_in_progress
from .export_content import ExportContents, write_export_zip
from .retention import prepared_downloads_delete

# A build that has not finished by then is presumed dead: the patient may ask again.
BUILD_WINDOW = timedelta(hours=1)
READY_KIND = "intake.data_export_ready"


def export_lifetime() -> timedelta:
    return timedelta(hours=settings.INTAKE_EXPORT_HOURS)


@transaction.atomic(durable=True)
def data_export_request(*, case: Case, request: HttpRequest | None = None) -> DataExport:
    """The patient of ``case`` asks for their export; the build is enqueued after commit.

    The caller authorised the session for ``case`` (``patient_rights_case_or_404``: open,
    closed or withdrawn). A
    build already in progress is returned as it is. Audit ``intake.data_export_requested``.
    """
    # The patient row lock serialises two clicks (from any of their cases).
    patient = Patient.objects.select_for_update().get(pk=case.patient_id)
    now = timezone.now()
    current = download_in_progress(DataExport.objects.filter(patient=patient), now=now)
    if current is not None:
        return current
    export = DataExport(patient=patient, case=case, requested_at=now, expires_at=now + BUILD_WINDOW)
    export.full_clean()
    export.save()
    audit_event_record(
        action="intake.data_export_requested",
        acting_user=None,
        actor_label="patient",
        target=case,
        request=request,
        data={"reference": case.reference, "export_id": export.pk},
    )
    from ..tasks import files_data_export_build

    files_data_export_build.delay_on_commit(export.pk)  # type: ignore[attr-defined]
    return export


@transaction.atomic
def data_export_download_record(*, export: DataExport, request: HttpRequest | None = None) -> None:
    """Count and audit one download by the patient (``intake.data_export_downloaded``)."""
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(download_count=F("download_count") + 1)
    DataExport.objects.filter(pk=export.pk, downloaded_at__isnull=True).update(downloaded_at=now)
    audit_event_record(
        action="intake.data_export_downloaded",
        acting_user=None,
        actor_label="patient",
        target=export.case,
        request=request,
        data={"reference": export.case.reference, "export_id": export.pk},
    )


# --- The build -----------------------------------------------------------------------------
def _count(export: DataExport, contents: ExportContents) -> None:
    export.file_count = len(contents.files)
    export.record_count = contents.record_count


def _audit_built(export: DataExport) -> None:
    audit_event_record(
        action="intake.data_export_built",
        acting_user=None,
        target=export.case,
        data={
            "export_id": export.pk,
            "files": export.file_count,
            "records": export.record_count,
            "bytes": export.size,
        },
    )
    notify(kind=READY_KIND, dedupe_key=f"{READY_KIND}:{export.pk}", about=export)


def _audit_failed(export: DataExport, failure: str) -> None:
    audit_event_record(
        action="intake.data_export_failed",
        acting_user=None,
        target=export.case,
        data={"export_id": export.pk, "failure": failure},
    )


EXPORT = DownloadRecipe(
    model=DataExport,
    label="data export",
    folder="exports",
    lifetime=export_lifetime,
    write=write_export_zip,
    count=_count,
    related=("patient", "case"),
    on_ready=_audit_built,
    on_failed=_audit_failed,
)


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the ZIP of a requested export; None when another worker has it or it is gone.

    Not atomic on purpose (``download_build``): the rows are read and the file
    written outside any transaction. Any error marks the export failed (audit
    ``intake.data_export_failed``; the patient may ask again) and leaves no file.
    Once ready: audit ``intake.data_export_built`` and the "ready" e-mail.
    """
    return download_build(EXPORT, export_id)


@transaction.atomic(durable=True)
def data_exports_purge(*, now: datetime | None = None) -> int:
    """Delete exports past ``expires_at`` (rows now, files after commit; any status).

    Audit ``intake.data_exports_purged`` (count and ids) when there were any.
    """
    now = now or timezone.now()
    ids, files = prepared_downloads_delete(
        DataExport.objects.filter(expires_at__lte=now)
        # A build still running finishes or fails on its own; one silent for a whole
        # build window past its deadline died with its worker.
        .exclude(status=DataExportStatus.BUILDING, expires_at__gt=now - BUILD_WINDOW)
    )
    if not ids:
        return 0
    audit_event_record(
        action="intake.data_exports_purged",
        acting_user=None,
        data={"count": len(ids), "export_ids": ids, "files": files},
    )
    return len(ids)
