"""An image whose pixels may show the patient is withheld from clinics until staff check it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pydicom import dcmread

from core.models import AuditEvent
from intake.models import PixelsFlag
from tests.core.deid_samples import small_dicom

from .imaging_samples import PATIENT, SECRETS, stored_dicom, ultrasound
from .staff_factories import shared_case

pytestmark = pytest.mark.django_db


def download_url(document: Any) -> str:
    return reverse("portal_cases:document", args=[document.case.reference, document.pk])


def test_a_clinic_gets_a_check_page_instead_of_an_ultrasound_and_staff_get_a_flag(
    client: Client, personas: Any
) -> None:
    """GIVEN a shared case with an ultrasound that does not say whether text is burned in
    WHEN the clinic downloads it
    THEN it gets a page saying a person must check it, neither the original nor a copy,
    and the document is flagged for staff with an audit row."""
    document = ultrasound(shared_case(personas.clinic_a))
    client.force_login(personas.clinic_a_staff)

    response = client.get(download_url(document))

    assert response.status_code == 409
    html = response.content.decode()
    assert "A person must check this image first" in html
    assert "concierge team has checked it" in html
    assert b"DICM" not in response.content
    assert not any(secret in response.content for secret in SECRETS)
    document.refresh_from_db()
    assert document.pixels_flag == PixelsFlag.MODALITY and document.pixels_flagged_at
    assert document.clinic_copy_withheld
    event = AuditEvent.objects.get(action="portal.document_withheld")
    assert event.actor == personas.clinic_a_staff
    assert event.data["reason"] == "risky_modality" and event.data["newly_flagged"] is True
    assert not AuditEvent.objects.filter(action="portal.document_downloaded").exists()


def test_burned_in_annotation_withholds_any_modality_and_a_second_try_keeps_the_first_flag(
    client: Client, personas: Any
) -> None:
    case = shared_case(personas.clinic_a)
    document = stored_dicom(case, small_dicom(BurnedInAnnotation="YES", **PATIENT))
    client.force_login(personas.clinic_a_staff)

    assert client.get(download_url(document)).status_code == 409
    document.refresh_from_db()
    first = document.pixels_flagged_at
    assert client.get(download_url(document)).status_code == 409

    document.refresh_from_db()
    assert document.pixels_flag == PixelsFlag.BURNED_IN and document.pixels_flagged_at == first
    assert [
        e.data["newly_flagged"]
        for e in AuditEvent.objects.filter(action="portal.document_withheld").order_by("pk")
    ] == [True, False]


def test_the_case_page_marks_the_withheld_image(client: Client, personas: Any) -> None:
    document = ultrasound(shared_case(personas.clinic_a))
    client.force_login(personas.clinic_a_staff)
    client.get(download_url(document))

    html = client.get(reverse("portal_cases:detail", args=[document.case.reference])).content

    assert b"Waiting for a check by the concierge team" in html


def test_staff_see_the_flag_and_release_the_deidentified_copy_once_checked(
    client: Client, personas: Any
) -> None:
    """GIVEN an ultrasound withheld from a clinic
    WHEN concierge staff open the case and mark it checked
    THEN the clinic downloads a de-identified copy, and the release is audited."""
    document = ultrasound(shared_case(personas.clinic_a))
    client.force_login(personas.clinic_a_staff)
    client.get(download_url(document))
    client.force_login(personas.concierge)
    change = reverse("admin:intake_case_change", args=[document.case.pk])

    page = client.get(change).content.decode()
    assert "Pixels to check" in page and document.download_name in page
    client.post(
        reverse("admin:intake_case_triage", args=[document.case.pk]),
        {"command": "clear_pixels", "document_id": document.pk},
    )

    document.refresh_from_db()
    assert document.pixels_cleared_by == personas.concierge and not document.clinic_copy_withheld
    assert AuditEvent.objects.filter(action="intake.document_pixels_cleared").count() == 1
    client.force_login(personas.clinic_a_staff)
    response = client.get(download_url(document))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert not any(secret in body for secret in SECRETS)
    assert dcmread(io.BytesIO(body)).Modality == "US"


def test_clinic_staff_cannot_release_an_image(client: Client, personas: Any) -> None:
    document = ultrasound(shared_case(personas.clinic_a))
    client.force_login(personas.clinic_a_staff)
    client.get(download_url(document))

    response = client.post(
        reverse("admin:intake_case_triage", args=[document.case.pk]),
        {"command": "clear_pixels", "document_id": document.pk},
    )

    assert response.status_code in {302, 404}
    document.refresh_from_db()
    assert document.clinic_copy_withheld
