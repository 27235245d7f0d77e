"""Staff download of patient documents from the admin: clinician reviewers only, logged."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from tests.factories import UserFactory

from .staff_factories import DICOM_BYTES, CaseDocumentFactory, CaseFactory

pytestmark = pytest.mark.django_db


def download_url(document: Any, case_id: int | None = None) -> str:
    return reverse("admin:intake_case_document", args=[case_id or document.case_id, document.pk])


def test_clinician_reviewers_download_the_dicom_as_an_attachment(
    client: Client, personas: Any
) -> None:
    document = CaseDocumentFactory.create()
    client.force_login(personas.clinician)

    response = client.get(download_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DICOM_BYTES  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/dicom"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"{document.case.reference}-mri-{document.pk}.dcm" in disposition
    assert "Jane_Doe" not in disposition  # never the patient's own file name
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="intake.document_downloaded")
    assert event.actor == personas.clinician
    assert event.data["document_id"] == document.pk


def test_the_change_page_links_each_document_to_the_staff_download(
    client: Client, personas: Any
) -> None:
    document = CaseDocumentFactory.create()
    client.force_login(personas.clinician)
    html = client.get(reverse("admin:intake_case_change", args=[document.case_id])).content
    assert download_url(document).encode() in html


def test_anonymous_visitors_get_a_404_with_no_bytes(client: Client) -> None:
    document = CaseDocumentFactory.create()
    response = client.get(download_url(document))
    assert response.status_code == 404
    assert DICOM_BYTES[128:140] not in response.content
    assert not AuditEvent.objects.filter(action="intake.document_downloaded").exists()


@pytest.mark.parametrize("who", ["alice", "clinic_a_staff"])
def test_patients_and_clinic_staff_get_a_404(client: Client, personas: Any, who: str) -> None:
    document = CaseDocumentFactory.create()
    client.force_login(getattr(personas, who))
    response = client.get(download_url(document))
    assert response.status_code == 404
    assert b"DICM" not in response.content


def test_staff_without_the_concierge_role_get_a_404(client: Client) -> None:
    document = CaseDocumentFactory.create()
    client.force_login(UserFactory.create(is_staff=True))
    assert client.get(download_url(document)).status_code == 404


def test_a_document_asked_for_under_another_case_is_a_404(client: Client, personas: Any) -> None:
    document = CaseDocumentFactory.create()
    other = CaseFactory.create()
    client.force_login(personas.clinician)
    assert client.get(download_url(document, case_id=other.pk)).status_code == 404
    missing = reverse("admin:intake_case_document", args=[document.case_id, document.pk + 999])
    assert client.get(missing).status_code == 404
    garbage = f"/admin/intake/case/abc/documents/{document.pk}/download/"
    assert client.get(garbage).status_code == 404


def test_a_document_whose_file_is_gone_is_a_404_not_a_crash(client: Client, personas: Any) -> None:
    document = CaseDocumentFactory.create()
    document.file.storage.delete(str(document.file.name))
    client.force_login(personas.clinician)
    assert client.get(download_url(document)).status_code == 404
