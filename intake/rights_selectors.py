"""Reads for the patient's rights on their case page: their export and their erasure request.

The caller has authorised the session for the case (``patient_rights_case_or_404``,
which also accepts a closed or withdrawn case);
everything here is scoped to that case's patient. A download link names the
export in a value signed for that patient: a changed, foreign or stale value
finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core import signing

from .models import (
    OPEN_ERASURE_STATUSES,
    Case,
    DataExport,
    DataExportStatus,
    ErasureRequest,
    ErasureStatus,
)
from .patient_data import LegalHold
from .services.data_export import BUILD_WINDOW, export_lifetime
from .services.erasure import erasure_holds

_SALT = "intake.data_export.download"


def data_export_token(export: DataExport) -> str:
    return signing.dumps([export.pk, export.patient_id], salt=_SALT, compress=True)


class DownloadRefusal(StrEnum):
    UNKNOWN = "unknown"  # tampered, foreign, or deleted: 404
    EXPIRED = "expired"  # ours, but no longer downloadable: 410


@dataclass(frozen=True)
class DownloadLookup:
    export: DataExport | None
    refusal: DownloadRefusal | None


def data_export_for_download(*, case: Case, token: str) -> DownloadLookup:
    """The export a download link names, if it belongs to ``case``'s patient and is ready."""
    max_age = export_lifetime() + BUILD_WINDOW
    try:
        pk, patient_id = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.SignatureExpired:
        return DownloadLookup(None, DownloadRefusal.EXPIRED)
    except (signing.BadSignature, ValueError, TypeError):
        return DownloadLookup(None, DownloadRefusal.UNKNOWN)
    if patient_id != case.patient_id or not isinstance(pk, int):
        return DownloadLookup(None, DownloadRefusal.UNKNOWN)
    export = (
        DataExport.objects.select_related("case").filter(pk=pk, patient_id=case.patient_id).first()
    )
    if export is None:
        return DownloadLookup(None, DownloadRefusal.UNKNOWN)
    if not export.is_downloadable:
        return DownloadLookup(None, DownloadRefusal.EXPIRED)
    return DownloadLookup(export, None)


def latest_data_export(*, case: Case) -> DataExport | None:
    exports = DataExport.objects.filter(patient_id=case.patient_id)
    return exports.order_by("-requested_at", "-pk").first()


def open_erasure_request(*, case: Case) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(
        patient_id=case.patient_id, status__in=OPEN_ERASURE_STATUSES
    ).first()


@dataclass(frozen=True)
class RightsPanel:
    """What the case page's "Your data" section shows."""

    export: DataExport | None
    download_token: str
    in_progress: bool
    failed: bool
    erasure: ErasureRequest | None
    holds: list[LegalHold]


def rights_panel(*, case: Case) -> RightsPanel:
    export = latest_data_export(case=case)
    erasure = open_erasure_request(case=case)
    downloadable = export is not None and export.is_downloadable
    held = erasure is not None and erasure.status == ErasureStatus.HELD
    return RightsPanel(
        export=export,
        download_token=data_export_token(export) if export is not None and downloadable else "",
        in_progress=bool(export and export.is_in_progress),
        failed=bool(export and export.status == DataExportStatus.FAILED),
        erasure=erasure,
        # Shown while a request waits on a hold: the patient learns why, and until when.
        holds=erasure_holds(patient=case.patient) if held else [],
    )
