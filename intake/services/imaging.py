"""The DICOM a clinic may download: de-identified per case, withheld when the pixels may identify.

Every copy of one case's files is made with the same UID key, so the series of
one study still belong together whether a clinic downloads them one by one or
as a zip; another case's copies cannot be linked to them. A copy whose pixels
may show the patient (burned-in text, a face, an ultrasound frame) is withheld
and flagged on the document for staff; once staff have looked and cleared it,
clinics get the de-identified copy.
"""

from __future__ import annotations

from typing import Any

from django.core.files import File
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.uploads import DeidentificationWithheld, deidentified_dicom

from ..models import Case, CaseDocument

UID_KEY_SALT = "intake.dicom.uid-key"


def case_dicom_uid_key(case: Case) -> bytes:
    """The key that replaces a case's DICOM UIDs: one per case, derived from SECRET_KEY."""
    return salted_hmac(UID_KEY_SALT, case.reference, algorithm="sha256").digest()


def clinic_dicom_copy(*, document: CaseDocument) -> File[Any]:
    """A de-identified temp copy of ``document`` for a clinic (the caller closes it).

    Raises ``DeidentificationWithheld`` for a document already flagged and not
    cleared, or whose header says the pixels may identify the patient;
    ``DeidentificationFailed`` when the file cannot be read; ``FileNotFoundError``.
    """
    if document.clinic_copy_withheld:
        raise DeidentificationWithheld(document.pixels_flag)
    return deidentified_dicom(
        document.file,
        uid_key=case_dicom_uid_key(document.case),
        pseudonym=document.case.reference,
        pixels_checked=document.pixels_cleared_at is not None,
    )


@transaction.atomic
def document_pixels_flag(
    *,
    document: CaseDocument,
    reason: str,
    clinic: Clinic,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> bool:
    """Flag the document for staff and audit the withheld copy; True if newly flagged.

    Audit ``portal.document_withheld`` on every withheld copy (who asked is worth
    knowing); the flag itself is set once, by a conditional update, so two
    clinics asking at once cannot overwrite each other's time.
    """
    now = timezone.now()
    newly = bool(
        CaseDocument.objects.filter(pk=document.pk, pixels_flag="").update(
            pixels_flag=reason, pixels_flagged_at=now
        )
    )
    if newly:
        document.pixels_flag, document.pixels_flagged_at = reason, now
    audit_event_record(
        action="portal.document_withheld",
        acting_user=acting_user,
        target=document.case,
        request=request,
        data={
            "reference": document.case.reference,
            "document_id": document.pk,
            "reason": reason,
            "clinic": clinic.pk,
            "newly_flagged": newly,
        },
    )
    return newly


@transaction.atomic(durable=True)
def document_pixels_clear(
    *, document: CaseDocument, acting_user: User, request: HttpRequest | None = None
) -> CaseDocument:
    """Staff looked at the image and found nothing identifying: clinics may download it.

    Audit ``intake.document_pixels_cleared``. Refuses a document not flagged or
    already cleared.
    """
    locked = CaseDocument.objects.select_for_update().select_related("case").get(pk=document.pk)
    if not locked.clinic_copy_withheld:
        raise DomainError(_("This image is not waiting for a check."), code="not_flagged")
    locked.pixels_cleared_at = timezone.now()
    locked.pixels_cleared_by = acting_user
    locked.full_clean()
    locked.save(update_fields=["pixels_cleared_at", "pixels_cleared_by"])
    audit_event_record(
        action="intake.document_pixels_cleared",
        acting_user=acting_user,
        target=locked.case,
        request=request,
        data={
            "reference": locked.case.reference,
            "document_id": locked.pk,
            "reason": locked.pixels_flag,
        },
    )
    return locked
