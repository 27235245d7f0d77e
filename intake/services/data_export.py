"""A patient's copy of everything we hold about them: asked for, built, downloaded, deleted.

The patient asks on their case page (``data_export_request``); a task in the
files queue builds the ZIP into a temp file outside any transaction and moves
it into private storage (``data_export_build``); the case page then offers it
for ``INTAKE_EXPORT_HOURS`` and the outbox tells the patient it is ready. Each
step writes one audit row (ids only). The retention sweep deletes expired ones.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from core.audit import audit_event_record
from core.notifications.services import notify

from ..models import (
    IN_PROGRESS_EXPORT_STATUSES,
    Case,
    DataExport,
    DataExportStatus,
    Patient,
)
from .export_content import ExportContents, write_export_zip
from .retention import _delete_files

log = logging.getLogger(__name__)

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
    current = DataExport.objects.filter(
        patient=patient, status__in=IN_PROGRESS_EXPORT_STATUSES
    ).first()
    if current is not None and not current.is_expired(now):
        return current
    if current is not None:  # a worker died mid-build: let the patient ask again
        current.transition_to(DataExportStatus.FAILED)
        current.failure = "expired_before_ready"
        current.save(update_fields=["status", "failure"])
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
class _MovedFile(File):  # type: ignore[type-arg]
    """A finished temp file: FileSystemStorage moves it into place instead of copying it."""

    def temporary_file_path(self) -> str:
        return str(self.name)


def _claim(export_id: int) -> DataExport | None:
    # Conditional UPDATE: of two workers handed the same message, one wins.
    claimed = DataExport.objects.filter(
        pk=export_id,
        status__in=DataExport.TRANSITIONS.sources_of(DataExportStatus.BUILDING),
        expires_at__gt=timezone.now(),
    ).update(status=DataExportStatus.BUILDING, started_at=timezone.now())
    if not claimed:
        return None
    return DataExport.objects.select_related("patient", "case").get(pk=export_id)


def _fail(export_id: int, failure: str) -> None:
    with transaction.atomic():
        export = DataExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or not export.can_transition_to(DataExportStatus.FAILED):
            return
        export.transition_to(DataExportStatus.FAILED)
        export.failure = failure
        export.save(update_fields=["status", "failure"])
        audit_event_record(
            action="intake.data_export_failed",
            acting_user=None,
            target=export.case,
            data={"export_id": export.pk, "failure": failure},
        )


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the ZIP of a requested export; None when another worker has it or it is gone.

    Not atomic on purpose: the rows are read and the file written outside any
    transaction; the row is claimed before and finished after. Any error marks
    the export failed (the patient may ask again) and removes the partial file.
    """
    export = _claim(export_id)
    if export is None:
        log.info("data export %s: not claimable (missing, expired or taken)", export_id)
        return None
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - moved into storage below
        suffix=".zip", dir=settings.FILE_UPLOAD_TEMP_DIR or None, delete=False
    )
    try:
        with handle:
            contents = write_export_zip(export, handle)
        size = os.path.getsize(handle.name)
        name = f"exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.zip"
        with open(handle.name, "rb") as finished:
            stored = export.file.storage.save(name, _MovedFile(finished, name=handle.name))
    except Exception:
        log.exception("data export %s: build failed", export_id)
        _fail(export_id, "build_error")
        return None
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
    try:
        return _finish(export_id, stored, size, contents)
    except Exception:
        # Erased or swept while building: the file must not outlive its row.
        log.exception("data export %s: could not be marked ready", export_id)
        export.file.storage.delete(stored)
        _fail(export_id, "finish_error")
        return None


@transaction.atomic
def _finish(export_id: int, stored: str, size: int, contents: ExportContents) -> DataExport:
    export = DataExport.objects.select_for_update().select_related("case").get(pk=export_id)
    now = timezone.now()
    export.transition_to(DataExportStatus.READY)
    export.file.name = stored
    export.ready_at = now
    # The patient gets the whole lifetime from the moment it is ready.
    export.expires_at = now + export_lifetime()
    export.size = size
    export.file_count = len(contents.files)
    export.record_count = contents.record_count
    export.full_clean()
    export.save()
    audit_event_record(
        action="intake.data_export_built",
        acting_user=None,
        target=export.case,
        data={
            "export_id": export.pk,
            "files": export.file_count,
            "records": export.record_count,
            "bytes": size,
        },
    )
    notify(kind=READY_KIND, dedupe_key=f"{READY_KIND}:{export.pk}", about=export)
    return export


@transaction.atomic(durable=True)
def data_exports_purge(*, now: datetime | None = None) -> int:
    """Delete exports past ``expires_at`` (rows now, files after commit; any status).

    Audit ``intake.data_exports_purged`` (count and ids) when there were any.
    """
    now = now or timezone.now()
    expired = list(
        DataExport.objects.filter(expires_at__lte=now)
        # A build still running finishes or fails on its own; one silent for a whole
        # build window past its deadline died with its worker.
        .exclude(status=DataExportStatus.BUILDING, expires_at__gt=now - BUILD_WINDOW)
        .select_for_update(skip_locked=True)
        .only("pk", "file")
    )
    if not expired:
        return 0
    files = [(e.file.storage, e.file.name) for e in expired if e.file.name]
    ids = [e.pk for e in expired]
    DataExport.objects.filter(pk__in=ids).delete()
    transaction.on_commit(lambda: _delete_files(files))
    audit_event_record(
        action="intake.data_exports_purged",
        acting_user=None,
        data={"count": len(ids), "export_ids": ids, "files": len(files)},
    )
    return len(ids)
