"""Patient documents: sanitized, capped, stored privately, all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import suppress

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.uploads import FileKind, SanitizedUpload, sanitize_upload, server_file_name

from ..models import Case, CaseDocument, DocumentType, UploadChannel
from .triage import case_triage_refresh

log = logging.getLogger(__name__)

ALLOWED_KINDS: frozenset[FileKind] = frozenset(
    {FileKind.PDF, FileKind.JPEG, FileKind.PNG, FileKind.DICOM}
)


def case_bytes_used(case: Case) -> int:
    return int(case.documents.aggregate(total=Sum("size"))["total"] or 0)


def case_bytes_left(case: Case) -> int:
    return max(0, settings.INTAKE_MAX_CASE_BYTES - case_bytes_used(case))


def _check_case_accepts_uploads(case: Case, channel: str) -> None:
    if not case.is_open:
        raise DomainError(_("This case is closed; it no longer accepts documents."), code="closed")
    if channel == UploadChannel.WIZARD and not case.is_draft:
        raise DomainError(_("This assessment has already been sent."), code="not_draft")


def _over_case_cap() -> DomainError:
    limit_mb = settings.INTAKE_MAX_CASE_BYTES // (1024 * 1024)
    return DomainError(
        _("These files would take your case over its %(mb)s MB limit. Send fewer or smaller files.")
        % {"mb": limit_mb},
        code="case_cap",
    )


def _close_all(items: Sequence[SanitizedUpload]) -> None:
    for item in items:
        with suppress(Exception):
            item.file.close()


def case_documents_add(
    *,
    case: Case,
    uploads: Sequence[tuple[UploadedFile, str]],
    channel: str,
    acting_user: User | None = None,
    request: HttpRequest | None = None,
) -> list[CaseDocument]:
    """Sanitize and store every file, or none: one bad file refuses the whole batch.

    Files are checked and written before the database transaction (no storage
    I/O under a row lock); if the rows cannot be written, the files are
    deleted again so nothing is left behind.
    """
    if not uploads:
        raise DomainError(_("Choose at least one file to upload."), code="empty")
    _check_case_accepts_uploads(case, channel)
    for _uploaded, doc_type in uploads:
        if doc_type not in DocumentType.values:
            raise DomainError(_("Choose what kind of document each file is."), code="doc_type")
    declared = sum(int(u.size or 0) for u, _t in uploads)
    if declared > case_bytes_left(case):
        raise _over_case_cap()

    sanitized: list[SanitizedUpload] = []
    try:
        for uploaded, _doc_type in uploads:
            sanitized.append(
                sanitize_upload(
                    uploaded, allowed=ALLOWED_KINDS, max_bytes=settings.INTAKE_MAX_FILE_BYTES
                )
            )
    except DomainError:
        _close_all(sanitized)
        raise

    documents: list[CaseDocument] = []
    try:
        for item, (_uploaded, doc_type) in zip(sanitized, uploads, strict=True):
            doc = CaseDocument(
                case=case,
                doc_type=doc_type,
                kind=str(item.kind),
                content_type=item.content_type,
                sha256=item.sha256,
                size=item.size,
                metadata=dict(item.metadata),
                original_name=item.original_name[:120],
                channel=channel,
            )
            doc.file.save(server_file_name(item.kind, prefix="intake"), item.file, save=False)
            documents.append(doc)
        _insert_documents(
            case=case,
            documents=documents,
            acting_user=acting_user,
            request=request,
            channel=channel,
        )
    except BaseException:
        for doc in documents:
            if doc.file.name:
                with suppress(Exception):
                    doc.file.storage.delete(doc.file.name)
        raise
    finally:
        _close_all(sanitized)
    return documents


@transaction.atomic
def _insert_documents(
    *,
    case: Case,
    documents: list[CaseDocument],
    acting_user: User | None,
    request: HttpRequest | None,
    channel: str,
) -> None:
    # The lock serialises concurrent uploads to one case, so the cap holds.
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _check_case_accepts_uploads(locked, channel)
    if sum(d.size for d in documents) > case_bytes_left(locked):
        raise _over_case_cap()
    for doc in documents:
        doc.case = locked
        doc.full_clean()
        doc.save()
    audit_event_record(
        action="case.documents_added",
        acting_user=acting_user,
        target=locked,
        request=request,
        actor_label=None if acting_user else "patient",
        data={
            "documents": [d.pk for d in documents],
            "channel": channel,
            "doc_types": [d.doc_type for d in documents],
            "bytes": sum(d.size for d in documents),
        },
    )
    if not locked.is_draft:
        case_triage_refresh(case=locked, acting_user=acting_user)


@transaction.atomic
def case_document_remove(
    *,
    document: CaseDocument,
    acting_user: User | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Remove a document from a draft (a sent case keeps its documents for staff)."""
    locked = Case.objects.select_for_update().get(pk=document.case_id)
    if not locked.is_draft:
        raise DomainError(
            _("Documents of a sent case can only be removed by our staff."), code="not_draft"
        )
    name = document.file.name
    storage = document.file.storage
    doc_id = document.pk
    document.delete()
    audit_event_record(
        action="case.document_removed",
        acting_user=acting_user,
        target=locked,
        request=request,
        actor_label=None if acting_user else "patient",
        data={"document": doc_id},
    )
    # Delete the bytes only once the row is surely gone.
    transaction.on_commit(lambda: storage.delete(name) if name else None)
