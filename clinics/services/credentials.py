"""The vetting register: uploads, staff verification, and the daily expiry sweep."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
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
from ._common import require_independent_staff, require_member_or_staff

log = logging.getLogger(__name__)

# A send claimed longer ago than this is presumed lost (worker died) and may be retried.
NOTICE_CLAIM_TIMEOUT = timedelta(minutes=15)
NOTICE_MAX_ATTEMPTS = 8
CREDENTIAL_FILE_KINDS: frozenset[FileKind] = frozenset({FileKind.PDF, FileKind.JPEG, FileKind.PNG})


@transaction.atomic(durable=True)
def credential_upload(
    *, clinic: Clinic, kind: str, issuer: str, number: str, issued_on: dt.date,
    expires_on: dt.date | None, uploaded_file: UploadedFile, acting_user: User | None,
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
            clinic=clinic, kind=kind, issuer=issuer, number=number, issued_on=issued_on,
            expires_on=expires_on, status=CredentialStatus.PENDING, uploaded_by=acting_user,
            document_sha256=sanitized.sha256, document_size=sanitized.size,
            document_kind=sanitized.kind.value, document_content_type=sanitized.content_type,
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
            action="clinics.credential.uploaded", acting_user=acting_user, target=credential,
            request=request,
            data={"clinic": clinic.pk, "kind": kind, "sha256": credential.document_sha256,
                  "size": credential.document_size, "file_kind": credential.document_kind,
                  "active_content_removed": list(sanitized.removed)},
        )
    except Exception:
        credential.document.delete(save=False)
        raise
    return credential


@transaction.atomic
def credential_verify(
    *, credential: Credential, acting_user: User | None, note: str = "",
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
    audit_event_record(
        action="clinics.credential.verified", acting_user=acting_user, target=credential,
        request=request,
        data={"clinic": credential.clinic_id, "kind": credential.kind, "from": previous,
              "expires_on": credential.expires_on},
    )
    return credential


@transaction.atomic
def credential_reject(
    *, credential: Credential, acting_user: User | None, note: str,
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
    audit_event_record(
        action="clinics.credential.rejected", acting_user=acting_user, target=credential,
        request=request, data={"clinic": credential.clinic_id, "kind": credential.kind,
                               "from": previous},
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
            action="clinics.clinic.review_queued", acting_user=acting_user, target=clinic,
            data={"reason": reason, **data},
        )
    return bool(queued)


@dataclass
class SweepResult:
    expiring_notices: list[int] = field(default_factory=list)
    expired_notices: list[int] = field(default_factory=list)
    clinics_queued: list[int] = field(default_factory=list)
    dispatched: list[int] = field(default_factory=list)


@transaction.atomic
def credential_expiry_sweep(*, on: dt.date | None = None) -> SweepResult:
    """The daily check (beat): due expiry notices, the review queue, legality conflicts.

    Idempotent: a notice row exists once per (credential, kind), so a second
    run the same day creates and sends nothing new; only notices not yet sent
    (a send that failed or was lost) are dispatched again. E-mails go out from
    the worker after this transaction commits.
    """
    from ..tasks import credential_notice_deliver

    day = on or timezone.localdate()
    result = SweepResult()
    candidates = Credential.objects.not_renewed().select_related("clinic")

    for credential in candidates.expiring_within(settings.CLINIC_CREDENTIAL_WARN_DAYS, day):
        notice, created = CredentialNotice.objects.get_or_create(
            credential=credential, kind=NoticeKind.EXPIRING
        )
        if created:
            result.expiring_notices.append(notice.pk)

    for credential in candidates.expired(day):
        notice, created = CredentialNotice.objects.get_or_create(
            credential=credential, kind=NoticeKind.EXPIRED
        )
        if not created:
            continue
        result.expired_notices.append(notice.pk)
        audit_event_record(
            action="clinics.credential.expired", acting_user=None, target=credential,
            data={"clinic": credential.clinic_id, "kind": credential.kind,
                  "expires_on": credential.expires_on},
        )
        if credential.kind in required_credential_kinds(credential.clinic) and (
            queue_clinic_for_review(
                credential.clinic_id, reason=ReviewQueueReason.CREDENTIAL_EXPIRED,
                acting_user=None, data={"credential": credential.pk, "kind": credential.kind},
            )
        ):
            result.clinics_queued.append(credential.clinic_id)

    conflicting = (
        Offering.objects.conflicting().filter(status=OfferingStatus.LIVE)
        .values_list("clinic_id", "pk")
    )
    for clinic_id, offering_id in conflicting:
        if queue_clinic_for_review(
            clinic_id, reason=ReviewQueueReason.LEGALITY_CONFLICT, acting_user=None,
            data={"offering": offering_id},
        ):
            result.clinics_queued.append(clinic_id)

    stale = timezone.now() - NOTICE_CLAIM_TIMEOUT
    due = CredentialNotice.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale),
        sent_at__isnull=True, attempts__lt=NOTICE_MAX_ATTEMPTS,
    ).values_list("pk", flat=True)
    for notice_id in due:
        credential_notice_deliver.delay_on_commit(notice_id)  # type: ignore[attr-defined]
        result.dispatched.append(notice_id)
    log.info(
        "credential sweep %s: %d expiring, %d expired, %d clinics queued, %d dispatched",
        day, len(result.expiring_notices), len(result.expired_notices),
        len(result.clinics_queued), len(result.dispatched),
    )
    return result


def credential_notice_send(*, notice_id: int) -> bool:
    """Send one expiry notice to the clinic and the concierge, at most once.

    Claimed with a conditional UPDATE (never inside a transaction that also
    talks SMTP): the worker that wins the claim sends, then stamps ``sent_at``.
    On a transient SMTP error the claim is released for the retry. Returns
    whether this call sent it.
    """
    from ..emails import credential_notice_messages

    now = timezone.now()
    claimed = CredentialNotice.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - NOTICE_CLAIM_TIMEOUT),
        pk=notice_id, sent_at__isnull=True,
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False  # sent already, or another worker got there first
    notice = CredentialNotice.objects.select_related("credential__clinic").get(pk=notice_id)
    messages = credential_notice_messages(notice)
    try:
        for message in messages:
            message.send()
    except Exception as exc:
        CredentialNotice.objects.filter(pk=notice_id).update(
            claimed_at=None, last_error=type(exc).__name__[:200]
        )
        raise
    CredentialNotice.objects.filter(pk=notice_id).update(sent_at=timezone.now(), last_error="")
    audit_event_record(
        action="clinics.credential.notice_sent", acting_user=None, target=notice.credential,
        data={"clinic": notice.credential.clinic_id, "notice": notice.kind,
              "recipients": sum(len(m.to) for m in messages)},
    )
    return True
