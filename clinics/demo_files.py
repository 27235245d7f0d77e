"""Demo credentials, each with a real small PDF as its document.

Writing files to storage is the one part of the seed with side effects outside
the database, and the documents must pass the same upload checks as a clinic's
own, so this lives apart from the rows-only builders.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import User
from core.uploads import FileKind, server_file_name

from .demo_data import EXPIRY_OVERRIDES, ISSUERS
from .models import Clinic, Credential, CredentialKind, CredentialStatus, Offering
from .pdf import simple_pdf


def _credential(
    clinic: Clinic, kind: str, issuer: str, number: str, expires_in: int | None, staff: User
) -> Credential:
    today = timezone.localdate()
    expires_on = today + dt.timedelta(days=expires_in) if expires_in is not None else None
    credential = Credential.objects.filter(clinic=clinic, kind=kind, number=number).first()
    if credential is None:
        body = simple_pdf(
            str(CredentialKind(kind).label),
            [
                f"Clinic: {clinic.name}",
                f"Issuer: {issuer}",
                f"Number: {number}",
                f"Valid until: {expires_on or 'no expiry'}",
                "Demo document - not a real credential.",
            ],
        )
        credential = Credential(
            clinic=clinic,
            kind=kind,
            issuer=issuer,
            number=number,
            document_sha256=hashlib.sha256(body).hexdigest(),
            document_size=len(body),
            document_kind="pdf",
            document_content_type="application/pdf",
            document_name=f"{kind}.pdf",
        )
        credential.document.save(
            server_file_name(FileKind.PDF, prefix="clinics/credentials"),
            ContentFile(body),
            save=False,
        )
    credential.issued_on = today - dt.timedelta(days=400)
    credential.expires_on = expires_on
    credential.status = CredentialStatus.VERIFIED
    credential.verified_by = staff
    credential.verified_at = credential.verified_at or timezone.now() - dt.timedelta(days=30)
    credential.full_clean()
    credential.save()
    return credential


def seed_credentials(key: str, clinic: Clinic, offerings: list[Offering], staff: User) -> None:
    licence, lab, insurer = ISSUERS[str(clinic.country)]
    code = key[:3].upper()
    kinds: list[tuple[str, str]] = [
        (CredentialKind.MEDICAL_LICENCE, licence),
        (CredentialKind.INSURANCE, insurer),
    ]
    if any(o.manipulation == "cultured" for o in offerings):
        kinds += [
            (CredentialKind.LAB_CERTIFICATE, lab),
            (CredentialKind.CELL_QUALITY, f"{clinic.name} quality unit"),
        ]
    if any(o.origin == "allogeneic" for o in offerings):
        kinds.append((CredentialKind.DONOR_SCREENING, lab))
    for index, (kind, issuer) in enumerate(kinds):
        default = 300 + 60 * index
        _credential(
            clinic,
            kind,
            issuer,
            f"{code}-{kind[:3].upper()}-{2024 + index}",
            EXPIRY_OVERRIDES.get((key, kind), default),
            staff,
        )
