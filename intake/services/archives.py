"""A clinic's whole-study zip: requested on the portal, built in the files queue, short-lived.

The build streams: each DICOM is de-identified into a temp file (the same copy
the single download sends) and copied into the zip in 1 MiB chunks; the zip is
written to a temp file and moved into private storage, so memory stays flat
whatever the study's size. Files whose pixels may show the patient are left
out and named in README.txt; files that cannot be read are left out the same way.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.uploads import DeidentificationFailed, DeidentificationWithheld, FileKind

from ..models import Case, CaseDocument, CaseStatus, ClinicShare, StudyArchive
from .downloads import DownloadRecipe, download_build, download_in_progress
from .imaging import clinic_dicom_copy, document_pixels_flag

CHUNK = 1024 * 1024
# Cases a clinic may see (the portal selectors say the same): a build re-checks it.
VISIBLE_STATUSES = frozenset({CaseStatus.READY_FOR_CLINIC, CaseStatus.MATCHED})


def _lifetime() -> timedelta:
    return timedelta(minutes=settings.INTAKE_STUDY_ARCHIVE_MINUTES)


def _dicom_documents(case: Case) -> QuerySet[CaseDocument]:
    return CaseDocument.objects.filter(case=case, kind=FileKind.DICOM).order_by("uploaded_at", "id")


@transaction.atomic(durable=True)
def study_archive_request(
    *, case: Case, clinic: Clinic, acting_user: User, request: HttpRequest | None = None
) -> StudyArchive:
    """Ask for the case's de-identified DICOM as one zip for ``clinic``; enqueue the build.

    The caller has authorised the user for ``case`` and ``clinic`` (portal selector).
    A build already in progress is returned as it is; one stuck past its expiry is
    marked failed and replaced. Audit ``portal.study_archive_requested``.
    """
    # The case row lock serialises two clicks, so the one-in-progress constraint never fires.
    Case.objects.select_for_update().filter(pk=case.pk).first()
    if not _dicom_documents(case).exists():
        raise DomainError(_("This case has no DICOM imaging to download."), code="no_dicom")
    now = timezone.now()
    current = download_in_progress(StudyArchive.objects.filter(case=case, clinic=clinic), now=now)
    if current is not None:
        return current
    archive = StudyArchive(
        case=case,
        clinic=clinic,
        requested_by=acting_user,
        created_at=now,
        expires_at=now + _lifetime(),
    )
    archive.full_clean()
    archive.save()
    audit_event_record(
        action="portal.study_archive_requested",
        acting_user=acting_user,
        target=case,
        request=request,
        data={"reference": case.reference, "archive_id": archive.pk, "clinic": clinic.pk},
    )
    from ..tasks import files_study_archive_build

    files_study_archive_build.delay_on_commit(archive.pk)  # type: ignore[attr-defined]
    return archive


@transaction.atomic
def study_archive_download_record(
    *, archive: StudyArchive, acting_user: User, request: HttpRequest | None = None
) -> None:
    """Audit a clinic user downloading the zip (``portal.study_archive_downloaded``)."""
    audit_event_record(
        action="portal.study_archive_downloaded",
        acting_user=acting_user,
        target=archive.case,
        request=request,
        data={
            "reference": archive.case.reference,
            "archive_id": archive.pk,
            "clinic": archive.clinic_id,
            "files": archive.file_count,
        },
    )


# --- The build ---------------------------------------------------------------------------
@dataclass
class _Contents:
    included: list[CaseDocument] = field(default_factory=list)
    withheld: list[CaseDocument] = field(default_factory=list)
    unreadable: list[CaseDocument] = field(default_factory=list)


def _refusal(archive: StudyArchive) -> str:
    still_shared = (
        archive.case.status in VISIBLE_STATUSES
        and ClinicShare.objects.active().filter(case=archive.case, clinic=archive.clinic).exists()
    )
    return "" if still_shared else "no_longer_shared"


def _write_zip(archive: StudyArchive, out: IO[bytes]) -> _Contents:
    contents = _Contents()
    folder = archive.case.reference
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for document in _dicom_documents(archive.case):
            document.case = archive.case
            try:
                copy = clinic_dicom_copy(document=document)
            except DeidentificationWithheld as withheld:
                if not document.pixels_flag:
                    document_pixels_flag(
                        document=document,
                        reason=withheld.reason,
                        clinic=archive.clinic,
                        acting_user=None,
                    )
                contents.withheld.append(document)
                continue
            except (DeidentificationFailed, FileNotFoundError):
                contents.unreadable.append(document)
                continue
            with copy, zf.open(f"{folder}/{document.download_name}", "w") as entry:
                shutil.copyfileobj(copy, entry, CHUNK)
            contents.included.append(document)
        language = getattr(archive.requested_by, "language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            readme = render_to_string(
                "portal_cases/study_archive_readme.txt",
                {
                    "archive": archive,
                    "case": archive.case,
                    "contents": contents,
                },
            )
        zf.writestr(f"{folder}/README.txt", readme)
    return contents


def _count(archive: StudyArchive, contents: _Contents) -> None:
    archive.file_count = len(contents.included)
    archive.withheld_ids = [d.pk for d in [*contents.withheld, *contents.unreadable]]


ARCHIVE = DownloadRecipe(
    model=StudyArchive,
    label="study archive",
    folder="archives",
    lifetime=_lifetime,
    write=_write_zip,
    count=_count,
    related=("case", "clinic", "requested_by"),
    refusal=_refusal,
)


def study_archive_build(*, archive_id: int) -> StudyArchive | None:
    """Build the zip for a requested archive; None when another worker has it or it is gone.

    Not atomic on purpose (``download_build``): the files are written outside any
    transaction. A case no longer shared with the clinic, or any error, marks the
    archive failed (the clinic may ask again) and leaves no file.
    """
    return download_build(ARCHIVE, archive_id)
