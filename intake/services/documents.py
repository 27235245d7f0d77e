"""Patient documents: sanitized, capped, stored privately; a bad file never costs the good ones."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.uploads import (
    FileKind,
    SanitizedUpload,
    UploadRejected,
    clean_display_name,
    sanitize_upload,
    server_file_name,
)

from ..models import Case, CaseDocument, DocumentType, UploadChannel
from .triage import case_triage_refresh

log = logging.getLogger(__name__)

ALLOWED_KINDS: frozenset[FileKind] = frozenset(
    {FileKind.PDF, FileKind.JPEG, FileKind.PNG, FileKind.DICOM}
)


@dataclass(frozen=True)
class RefusedFile:
    """A file that was not stored: its display name, why (safe to show), and a code."""

    name: str
    reason: str | Promise
    code: str = "invalid"


@dataclass
class UploadOutcome:
    """What one batch left behind: the documents stored and the files refused, in order."""

    stored: list[CaseDocument] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)


def case_bytes_used(case: Case) -> int:
    return int(case.documents.aggregate(total=Sum("size"))["total"] or 0)


def case_bytes_left(case: Case) -> int:
    return max(0, settings.INTAKE_MAX_CASE_BYTES - case_bytes_used(case))


def _check_case_accepts_uploads(case: Case, channel: str) -> None:
    if not case.is_open:
        raise DomainError(_("This case is closed; it no longer accepts documents."), code="closed")
    if channel == UploadChannel.WIZARD and not case.is_draft:
        raise DomainError(_("This assessment has already been sent."), code="not_draft")


def _over_case_cap(name: str) -> RefusedFile:
    limit_mb = settings.INTAKE_MAX_CASE_BYTES // (1024 * 1024)
    return RefusedFile(
        name=name,
        reason=_("This file would take your case over its %(mb)s MB limit.") % {"mb": limit_mb},
        code="case_cap",
    )


def _close_all(items: Sequence[SanitizedUpload]) -> None:
    for item in items:
        with suppress(Exception):
            item.file.close()


def _delete_stored(documents: Sequence[CaseDocument]) -> None:
    for doc in documents:
        if doc.file.name:
            with suppress(Exception):
                doc.file.storage.delete(doc.file.name)


def case_documents_add(
    *,
    case: Case,
    uploads: Sequence[tuple[UploadedFile, str]],
    channel: str,
    acting_user: User | None = None,
    request: HttpRequest | None = None,
) -> UploadOutcome:
    """Sanitize and store each file on its own; refuse the bad ones by name, keep the rest.

    Whole-batch refusals (DomainError) are only for the batch itself: no
    files, an unknown document type, a closed or already-sent case. A file
    that fails the sanitizer or does not fit in what the case has left is
    refused alone. Files are checked and written before the database
    transaction (no storage I/O under a row lock); files whose rows are not
    written are deleted again so nothing is left behind.
    """
    if not uploads:
        raise DomainError(_("Choose at least one file to upload."), code="empty")
    _check_case_accepts_uploads(case, channel)
    for _uploaded, doc_type in uploads:
        if doc_type not in DocumentType.values:
            raise DomainError(_("Choose what kind of document each file is."), code="doc_type")

    outcome = UploadOutcome()
    # (position in the batch, sanitized file, doc type): refusals keep the batch's order.
    accepted: list[tuple[int, SanitizedUpload, str]] = []
    refused_at: dict[int, RefusedFile] = {}
    # A cheap first pass on the declared sizes; the row lock below has the last word.
    left = case_bytes_left(case)
    try:
        for position, (uploaded, doc_type) in enumerate(uploads):
            name = clean_display_name(getattr(uploaded, "name", None))
            declared = int(uploaded.size or 0)
            if declared > left:
                refused_at[position] = _over_case_cap(name)
                continue
            try:
                item = sanitize_upload(
                    uploaded, allowed=ALLOWED_KINDS, max_bytes=settings.INTAKE_MAX_FILE_BYTES
                )
            except UploadRejected as exc:
                refused_at[position] = RefusedFile(name=name, reason=exc.message, code=exc.code)
                continue
            left -= declared
            accepted.append((position, item, doc_type))
    except BaseException:
        _close_all([item for _p, item, _t in accepted])
        raise

    documents: list[tuple[int, CaseDocument]] = []
    try:
        for position, item, doc_type in accepted:
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
            documents.append((position, doc))
        over_cap = _insert_documents(
            case=case,
            documents=documents,
            refused=refused_at,
            acting_user=acting_user,
            request=request,
            channel=channel,
        )
    except BaseException:
        _delete_stored([doc for _p, doc in documents])
        raise
    finally:
        _close_all([item for _p, item, _t in accepted])
    # Files that lost the race for the case's last bytes never got a row.
    _delete_stored([doc for position, doc in documents if position in over_cap])
    outcome.stored = [doc for position, doc in documents if position not in over_cap]
    outcome.refused = [refused_at[p] for p in sorted(refused_at)]
    return outcome


@transaction.atomic
def _insert_documents(
    *,
    case: Case,
    documents: list[tuple[int, CaseDocument]],
    refused: dict[int, RefusedFile],
    acting_user: User | None,
    request: HttpRequest | None,
    channel: str,
) -> set[int]:
    """Insert the rows that fit; add the ones that do not to ``refused``; return their positions."""
    # The lock serialises concurrent uploads to one case, so the cap holds.
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _check_case_accepts_uploads(locked, channel)
    left = case_bytes_left(locked)
    over_cap: set[int] = set()
    inserted: list[CaseDocument] = []
    for position, doc in documents:
        if doc.size > left:
            over_cap.add(position)
            refused[position] = _over_case_cap(doc.original_name or doc.kind)
            continue
        left -= doc.size
        doc.case = locked
        # Fields and validators, not the six check constraints: each is a round trip of
        # its own (savepoint, SELECT, release: 18 of an upload's 28), every value here is
        # the server's, and the INSERT below enforces the same constraints anyway.
        doc.full_clean(validate_constraints=False)
        doc.save()
        inserted.append(doc)
    audit_event_record(
        action="case.documents_added" if inserted else "case.documents_refused",
        acting_user=acting_user,
        target=locked,
        request=request,
        actor_label=None if acting_user else "patient",
        data={
            "documents": [d.pk for d in inserted],
            "channel": channel,
            "doc_types": [d.doc_type for d in inserted],
            "bytes": sum(d.size for d in inserted),
            # Reasons only: file names are the patient's words and stay out of the audit trail.
            "refused": sorted(r.code for r in refused.values()),
        },
    )
    if inserted and not locked.is_draft:
        case_triage_refresh(case=locked, acting_user=acting_user)
    return over_cap


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
