"""The vetting register: uploads, staff verification, and the daily expiry sweep."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.notifications.services import notify
from core.uploads import FileKind, sanitize_upload, server_file_name

from ..models import (
    ALLOGENEIC_BADGE_KINDS,
    CLINIC_BADGE_KINDS,
    CULTURED_BADGE_KINDS,
    CellOrigin,
    Clinic,
    Credential,
    CredentialKind,
    CredentialNotice,
    CredentialStatus,
    Manipulation,
    NoticeKind,
    Offering,
    OfferingStatus,
    ReviewQueueReason,
)
from ..public_cache import public_pages_changed
from ._common import require_independent_staff, require_member_or_staff

log = logging.getLogger(__name__)

CREDENTIAL_FILE_KINDS: frozenset[FileKind] = frozenset({FileKind.PDF, FileKind.JPEG, FileKind.PNG})


@transaction.atomic(durable=True)
def credential_upload(
    *,
    clinic: Clinic,
    kind: str,
    issuer: str,
    number: str,
    issued_on: dt.date,
    expires_on: dt.date | None,
    uploaded_file: UploadedFile,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> Credential:
    """Store a new credential document for staff to verify (status pending).

    The file is checked by content (PDF, JPEG or PNG only; executables, SVG,
    locked or broken PDFs, empty and oversize files refused with ``UploadRejected``)
    before anything is written; a PDF is stored disarmed (scripts, attachments and
    other active content removed, flagged for staff). Side effects: a private file,
    an audit row.
    """
    require_member_or_staff(acting_user, clinic)
    if kind not in CredentialKind.values:
        raise DomainError(_("Choose a kind of credential from the list."), code="invalid_kind")
    sanitized = sanitize_upload(
        uploaded_file, allowed=CREDENTIAL_FILE_KINDS, max_bytes=settings.CLINIC_DOCUMENT_MAX_BYTES
    )
    with sanitized:
        credential = Credential(
            clinic=clinic,
            kind=kind,
            issuer=issuer,
            number=number,
            issued_on=issued_on,
            expires_on=expires_on,
            status=CredentialStatus.PENDING,
            uploaded_by=acting_user,
            document_sha256=sanitized.sha256,
            document_size=sanitized.size,
            document_kind=sanitized.kind.value,
            document_content_type=sanitized.content_type,
            document_name=sanitized.original_name,
            document_active_content_removed=sanitized.active_content_removed,
        )
        # Validate the facts before a byte reaches storage.
        credential.full_clean(exclude=["document"])
        name = server_file_name(sanitized.kind, prefix="clinics/credentials")
        credential.document.save(name, sanitized.file, save=False)
    try:
        credential.save()
        audit_event_record(
            action="clinics.credential.uploaded",
            acting_user=acting_user,
            target=credential,
            request=request,
            data={
                "clinic": clinic.pk,
                "kind": kind,
                "sha256": credential.document_sha256,
                "size": credential.document_size,
                "file_kind": credential.document_kind,
                "active_content_removed": list(sanitized.removed),
            },
        )
    except Exception:
        credential.document.delete(save=False)
        raise
    return credential


@transaction.atomic
def credential_verify(
    *,
    credential: Credential,
    acting_user: User | None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Credential:
    """Staff checked the document against the issuer: it now counts. Side effects: audit row."""
    require_independent_staff(acting_user, credential.clinic_id)
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if credential.status == CredentialStatus.VERIFIED:
        raise DomainError(_("This credential is already verified."), code="already_verified")
    previous = credential.status
    credential.status = CredentialStatus.VERIFIED
    credential.verified_by = acting_user
    credential.verified_at = timezone.now()
    credential.decision_note = note[:300]
    credential.full_clean()
    credential.save()
    public_pages_changed()
    audit_event_record(
        action="clinics.credential.verified",
        acting_user=acting_user,
        target=credential,
        request=request,
        data={
            "clinic": credential.clinic_id,
            "kind": credential.kind,
            "from": previous,
            "expires_on": credential.expires_on,
        },
    )
    return credential


@transaction.atomic
def credential_reject(
    *,
    credential: Credential,
    acting_user: User | None,
    note: str,
    request: HttpRequest | None = None,
) -> Credential:
    """Refuse (or revoke) a credential; the clinic sees the note. Side effects: audit row."""
    require_independent_staff(acting_user, credential.clinic_id)
    if not note.strip():
        raise DomainError(_("Say why the credential is rejected."), code="note_required")
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if credential.status == CredentialStatus.REJECTED:
        raise DomainError(_("This credential is already rejected."), code="already_rejected")
    previous = credential.status
    credential.status = CredentialStatus.REJECTED
    credential.decision_note = note.strip()[:300]
    credential.full_clean()
    credential.save()
    public_pages_changed()
    audit_event_record(
        action="clinics.credential.rejected",
        acting_user=acting_user,
        target=credential,
        request=request,
        data={"clinic": credential.clinic_id, "kind": credential.kind, "from": previous},
    )
    return credential


def required_credential_kinds(clinic: Clinic) -> frozenset[str]:
    """The kinds whose expiry puts this clinic in the review queue."""
    kinds = set(CLINIC_BADGE_KINDS)
    live = Offering.objects.filter(clinic=clinic, status=OfferingStatus.LIVE)
    if live.filter(manipulation=Manipulation.CULTURED).exists():
        kinds |= CULTURED_BADGE_KINDS
    if live.filter(origin=CellOrigin.ALLOGENEIC).exists():
        kinds |= ALLOGENEIC_BADGE_KINDS
    return frozenset(kinds)


def queue_clinic_for_review(
    clinic_id: int, *, reason: str, acting_user: User | None, data: dict[str, object]
) -> bool:
    """Put a clinic in the staff review queue unless it is there already; True if queued now."""
    queued = Clinic.objects.filter(pk=clinic_id, review_requested_at__isnull=True).update(
        review_requested_at=timezone.now(), review_reason=reason
    )
    if queued:
        clinic = Clinic.objects.get(pk=clinic_id)
        # .update() bypasses simple-history: record the change explicitly.
        clinic._change_reason = str(reason)  # type: ignore[attr-defined]
        clinic.save(update_fields=["updated_at"])
        audit_event_record(
            action="clinics.clinic.review_queued",
            acting_user=acting_user,
            target=clinic,
            data={"reason": reason, **data},
        )
    return bool(queued)


@dataclass
class SweepResult:
    expiring_notices: list[int] = field(default_factory=list)
    expired_notices: list[int] = field(default_factory=list)
    clinics_queued: list[int] = field(default_factory=list)
    queued: int = 0  # e-mails queued in the outbox (one per notice and reader)


@transaction.atomic
def credential_expiry_sweep(*, on: dt.date | None = None) -> SweepResult:
    """The daily check (beat): due expiry notices, the review queue, legality conflicts.

    Idempotent: a notice row exists once per (credential, kind), so a second
    run the same day creates and queues nothing new. A new notice queues one
    e-mail per reader in the outbox, in this transaction (``credential_notice_notify``);
    the outbox retries each reader's copy on its own.
    """
    day = on or timezone.localdate()
    result = SweepResult()
    candidates = Credential.objects.not_renewed().select_related("clinic")

    for credential in candidates.expiring_within(settings.CLINIC_CREDENTIAL_WARN_DAYS, day):
        notice, created = CredentialNotice.objects.get_or_create(
            credential=credential, kind=NoticeKind.EXPIRING
        )
        if created:
            result.expiring_notices.append(notice.pk)
            result.queued += credential_notice_notify(notice=notice)

    for credential in candidates.expired(day):
        notice, created = CredentialNotice.objects.get_or_create(
            credential=credential, kind=NoticeKind.EXPIRED
        )
        if not created:
            continue
        result.expired_notices.append(notice.pk)
        result.queued += credential_notice_notify(notice=notice)
        audit_event_record(
            action="clinics.credential.expired",
            acting_user=None,
            target=credential,
            data={
                "clinic": credential.clinic_id,
                "kind": credential.kind,
                "expires_on": credential.expires_on,
            },
        )
        if credential.kind in required_credential_kinds(credential.clinic) and (
            queue_clinic_for_review(
                credential.clinic_id,
                reason=ReviewQueueReason.CREDENTIAL_EXPIRED,
                acting_user=None,
                data={"credential": credential.pk, "kind": credential.kind},
            )
        ):
            result.clinics_queued.append(credential.clinic_id)

    conflicting = (
        Offering.objects.conflicting()
        .filter(status=OfferingStatus.LIVE)
        .values_list("clinic_id", "pk")
    )
    for clinic_id, offering_id in conflicting:
        if queue_clinic_for_review(
            clinic_id,
            reason=ReviewQueueReason.LEGALITY_CONFLICT,
            acting_user=None,
            data={"offering": offering_id},
        ):
            result.clinics_queued.append(clinic_id)

    log.info(
        "credential sweep %s: %d expiring, %d expired, %d clinics queued, %d e-mails queued",
        day,
        len(result.expiring_notices),
        len(result.expired_notices),
        len(result.clinics_queued),
        result.queued,
    )
    return result


def credential_notice_notify(*, notice: CredentialNotice) -> int:
    """Queue ``notice`` once per reader (members, the contact address, the concierge).

    Call inside the transaction that created the notice. The dedupe key is the
    notice and the reader's address, so one reader's failure or retry never
    touches another's copy. Returns how many were queued. Audited.
    """
    from ..emails import CREDENTIAL_NOTICE_KINDS, credential_notice_readers

    credential = notice.credential
    readers = credential_notice_readers(credential.clinic)
    for reader in readers:
        notify(
            kind=CREDENTIAL_NOTICE_KINDS[NoticeKind(notice.kind)],
            dedupe_key=f"clinics.credential_notice:{notice.pk}:{reader.address}",
            about=notice,
            to=reader.to,
            time_zone=reader.time_zone,
            data={"for_staff": True} if reader.for_staff else None,
        )
    audit_event_record(
        action="clinics.credential.notice_queued",
        acting_user=None,
        target=credential,
        data={"clinic": credential.clinic_id, "notice": notice.kind, "recipients": len(readers)},
    )
    return len(readers)
