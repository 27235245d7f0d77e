"""The vetting register: uploads checked by content, verified by staff."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import timezone

from clinics.models import Credential, CredentialKind, CredentialStatus
from clinics.pdf import simple_pdf
from clinics.services import credential_reject, credential_upload, credential_verify
from core.exceptions import DomainError
from core.models import AuditEvent
from core.uploads import UploadRejected
from tests.conftest import Personas
from tests.core.pdf_corpus import active_content_left, print_script_report, user_password

from .factories import CredentialFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


def _upload(personas: Personas, uploaded: object, **overrides: object) -> Credential:
    kwargs: dict[str, object] = {
        "clinic": personas.clinic_a,
        "kind": CredentialKind.LAB_CERTIFICATE,
        "issuer": "COFEPRIS",
        "number": "GMP-2026-118",
        "issued_on": TODAY - dt.timedelta(days=30),
        "expires_on": TODAY + dt.timedelta(days=700),
        "uploaded_file": uploaded,
        "acting_user": personas.clinic_a_staff,
    }
    kwargs.update(overrides)
    return credential_upload(**kwargs)  # type: ignore[arg-type]


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_real_pdf_is_stored_privately_and_waits_for_staff(
    personas: Personas, private_media_root: Path
) -> None:
    pdf = simple_pdf("GMP certificate", ["COFEPRIS GMP-2026-118"])
    credential = _upload(personas, SimpleUploadedFile("../../etc/GMP cert.pdf", pdf, "text/html"))
    assert credential.status == CredentialStatus.PENDING
    assert credential.document_kind == "pdf"
    assert credential.document_content_type == "application/pdf"
    assert credential.document_name == "GMP cert.pdf"
    stored_name = str(credential.document.name)
    assert stored_name.startswith("clinics/credentials/")
    assert "GMP" not in stored_name  # the server chose the name
    [stored] = _stored_files(private_media_root)
    assert credential.document_sha256 == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert not credential.is_current()
    assert credential.document_active_content_removed is False


def test_a_certificate_with_a_print_script_is_stored_disarmed_and_flagged_for_staff(
    personas: Personas, private_media_root: Path
) -> None:
    credential = _upload(
        personas, SimpleUploadedFile("gmp.pdf", print_script_report(), "application/pdf")
    )
    assert credential.document_active_content_removed is True
    [stored] = _stored_files(private_media_root)
    assert active_content_left(stored.read_bytes()) == []
    event = AuditEvent.objects.get(action="clinics.credential.uploaded")
    assert event.data["active_content_removed"] == ["javascript"]
    assert AuditEvent.objects.filter(action="clinics.credential.uploaded").count() == 1


def _big_file(size: int) -> TemporaryUploadedFile:
    upload = TemporaryUploadedFile("certificate.pdf", "application/pdf", size, None)
    upload.write(b"%PDF-1.4\n")
    upload.seek(size - 1)
    upload.write(b"\n")
    upload.seek(0)
    return upload


EXPECTED_CODE = {
    "an executable renamed .pdf": "executable",
    "an SVG with a script": "markup",
    "a zero-byte file": "empty",
    "a 60 MB file": "too_large",
    "a PDF that needs a password": "pdf_password",
}
BAD_FILES = {
    "an executable renamed .pdf": lambda: SimpleUploadedFile(
        "licence.pdf", b"MZ\x90\x00\x03" + b"\x00" * 2000, "application/pdf"
    ),
    "an SVG with a script": lambda: SimpleUploadedFile(
        "licence.png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
        b"<script>fetch('/admin/')</script></svg>",
        "image/png",
    ),
    "a zero-byte file": lambda: SimpleUploadedFile("licence.pdf", b"", "application/pdf"),
    "a 60 MB file": lambda: _big_file(60 * 1024 * 1024),
    "a PDF that needs a password": lambda: SimpleUploadedFile(
        "licence.pdf", user_password(), "application/pdf"
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_it_refuses_a_bad_document_with_a_clear_message_and_stores_nothing(
    personas: Personas, private_media_root: Path, case: str
) -> None:
    with pytest.raises(UploadRejected) as exc:
        _upload(personas, BAD_FILES[case]())
    assert exc.value.code == EXPECTED_CODE[case]
    message = str(exc.value.message)
    assert message and "Traceback" not in message and "\\x" not in message
    assert not Credential.objects.exists()
    assert _stored_files(private_media_root) == []
    assert not AuditEvent.objects.filter(action="clinics.credential.uploaded").exists()


def test_the_size_cap_comes_from_the_setting(
    personas: Personas, settings: object, private_media_root: Path
) -> None:
    settings.CLINIC_DOCUMENT_MAX_BYTES = 1024  # type: ignore[attr-defined]
    with pytest.raises(UploadRejected) as exc:
        _upload(
            personas,
            SimpleUploadedFile(
                "c.pdf", simple_pdf("Certificate", ["line"] * 80), "application/pdf"
            ),
        )
    assert exc.value.code == "too_large"


def test_bad_dates_are_refused_before_the_file_is_stored(
    personas: Personas, private_media_root: Path
) -> None:
    with pytest.raises(Exception, match=r"clinics_credential_expires_after_issue|expire"):
        _upload(
            personas,
            SimpleUploadedFile("c.pdf", simple_pdf("C", []), "application/pdf"),
            expires_on=TODAY - dt.timedelta(days=400),
        )
    assert _stored_files(private_media_root) == []


def test_another_clinics_staff_cannot_upload_to_this_clinic(personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        _upload(
            personas,
            SimpleUploadedFile("c.pdf", simple_pdf("C", []), "application/pdf"),
            acting_user=personas.clinic_b_staff,
        )


def test_staff_verification_makes_a_credential_count(personas: Personas) -> None:
    credential = CredentialFactory.create(
        clinic=personas.clinic_a, status=CredentialStatus.PENDING, verified_at=None
    )
    with pytest.raises(PermissionDenied):
        credential_verify(credential=credential, acting_user=personas.clinic_a_staff)
    credential_verify(credential=credential, acting_user=personas.concierge)
    credential.refresh_from_db()
    assert credential.is_current()
    assert credential.verified_by == personas.concierge
    assert credential.verified_at is not None and credential.verified_at <= timezone.now()
    assert credential.history.first().verified_by == personas.concierge  # type: ignore[union-attr]


def test_a_rejection_says_why(personas: Personas) -> None:
    credential = CredentialFactory.create(clinic=personas.clinic_a, kind=CredentialKind.INSURANCE)
    with pytest.raises(DomainError):
        credential_reject(credential=credential, acting_user=personas.concierge, note="")
    credential_reject(
        credential=credential,
        acting_user=personas.concierge,
        note="Policy does not cover stem-cell procedures",
    )
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.REJECTED
    assert not credential.is_current()
