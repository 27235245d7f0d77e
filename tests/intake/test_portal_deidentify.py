"""A clinic downloads a de-identified DICOM; concierge staff still get the original."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from pydicom import dcmread

from core.models import AuditEvent
from tests.core.upload_samples import SECRETS, identified_dicom

from .staff_factories import CaseDocumentFactory, shared_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def identified(personas: Any) -> tuple[Any, Any, bytes]:
    case = shared_case(personas.clinic_a)
    data = identified_dicom()
    document = CaseDocumentFactory.create(
        case=case,
        file=ContentFile(data, name="intake/test/identified.dcm"),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    return case, document, data


def test_the_clinic_gets_the_dicom_without_who_the_patient_is(
    client: Client, personas: Any, identified: tuple[Any, Any, bytes]
) -> None:
    """GIVEN a shared case whose MRI names the patient, her IDs, hospital and a vendor tag
    WHEN the clinic downloads it from the portal
    THEN none of that is in the file, but the study itself is intact."""
    case, document, original = identified
    client.force_login(personas.clinic_a_staff)

    response = client.get(reverse("portal_cases:document", args=[case.reference, document.pk]))

    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    for secret in SECRETS:
        assert secret not in body
    ds = dcmread(io.BytesIO(body), force=False)
    source = dcmread(io.BytesIO(original))
    assert ds.PatientName == ds.PatientID == case.reference  # a pseudonym the clinic knows
    assert not ds.PatientBirthDate
    assert ds.InstitutionName == "ANONYMIZED"
    assert not any(element.tag.is_private for element in ds.iterall())
    assert (ds.Modality, ds.PatientSex, ds.StudyDate) == ("MR", "F", "20240301")
    assert ds.PixelData == source.PixelData
    assert response["Content-Type"] == "application/dicom"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"{case.reference}-mri-{document.pk}.dcm" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(action="portal.document_downloaded").count() == 1
    assert document.file.storage.open(str(document.file.name)).read() == original


def test_concierge_staff_still_download_the_original_bytes(
    client: Client, personas: Any, identified: tuple[Any, Any, bytes]
) -> None:
    case, document, original = identified
    client.force_login(personas.clinician)  # documents are for clinician reviewers

    response = client.get(reverse("admin:intake_case_document", args=[case.pk, document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == original  # type: ignore[attr-defined]


def test_a_stored_dicom_that_cannot_be_read_is_refused_not_sent_as_is(
    client: Client, personas: Any, identified: tuple[Any, Any, bytes]
) -> None:
    case, document, _ = identified
    damaged = bytes(128) + b"NOPE Doe^Jane"
    document.file.storage.delete(document.file.name)
    document.file.save("intake/test/damaged.dcm", ContentFile(damaged), save=True)
    client.force_login(personas.clinic_a_staff)

    response = client.get(reverse("portal_cases:document", args=[case.reference, document.pk]))

    assert response.status_code == 409
    html = response.content.decode()
    assert "ask the concierge team" in html
    assert "Doe^Jane" not in html
    assert not AuditEvent.objects.filter(action="portal.document_downloaded").exists()


def test_a_pdf_is_still_served_as_stored(client: Client, personas: Any) -> None:
    case = shared_case(personas.clinic_a)
    pdf = case.documents.get(kind="pdf")
    client.force_login(personas.clinic_a_staff)

    response = client.get(reverse("portal_cases:document", args=[case.reference, pdf.pk]))

    assert response.status_code == 200
    stored = pdf.file.storage.open(str(pdf.file.name)).read()
    assert b"".join(response.streaming_content) == stored  # type: ignore[attr-defined]
