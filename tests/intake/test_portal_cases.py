"""Clinic staff see only the cases patients shared with THEIR clinic, and only what they need."""

from __future__ import annotations

import io
from typing import Any

import pydicom
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinics.models import ClinicStatus
from core.models import AuditEvent
from intake.models import CaseStatus, ClinicShare
from tests.factories import ClinicMembershipFactory

from .staff_factories import (
    DICOM_BYTES,
    CaseDocumentFactory,
    CaseFactory,
    ClinicShareFactory,
    PatientFactory,
    shared_case,
)

pytestmark = pytest.mark.django_db

LIST = reverse("portal_cases:list")


def detail(case: Any) -> str:
    return reverse("portal_cases:detail", args=[case.reference])


def document_url(case: Any, document: Any) -> str:
    return reverse("portal_cases:document", args=[case.reference, document.pk])


@pytest.fixture
def a_client(client: Client, personas: Any) -> Client:
    client.force_login(personas.clinic_a_staff)
    return client


@pytest.fixture
def cases(personas: Any) -> dict[str, Any]:
    patient = PatientFactory.create(
        full_name="Rosa Delgado", email="rosa@patients.example", phone="+34600999888"
    )
    for_a = shared_case(personas.clinic_a, patient=patient, symptoms="Clicking in the knee")
    for_b = shared_case(personas.clinic_b, symptoms="Numb fingers at night")
    return {"a": for_a, "b": for_b}


def test_clinic_staff_list_only_the_cases_shared_with_their_clinic(
    a_client: Client, cases: dict[str, Any]
) -> None:
    response = a_client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert cases["a"].reference in html
    assert cases["b"].reference not in html


def test_the_case_page_shows_what_a_clinic_needs_and_never_who_the_patient_is(
    a_client: Client, cases: dict[str, Any]
) -> None:
    case = cases["a"]
    response = a_client.get(detail(case))
    html = response.content.decode()

    assert response.status_code == 200
    for needed in (
        "Clicking in the knee",
        "Walk the dog again",
        "Severity (0-10)",
        "Active infection",
        "Current medications",
        str(case.patient.age),
    ):
        assert needed in html
    for secret in (
        "Rosa Delgado",
        "rosa@patients.example",
        "600999888",
        "1965-04-12",
        "April 12, 1965",
        "10,000",
        "10000",
        "Jane_Doe_knee.dcm",
    ):
        assert secret not in html
    assert document_url(case, case.documents.first()) in html
    event = AuditEvent.objects.get(action="portal.case_viewed")
    assert event.data["clinic"] == case.shares.get().clinic_id


def test_clinic_staff_download_a_shared_dicom(
    a_client: Client, cases: dict[str, Any], personas: Any
) -> None:
    case = cases["a"]
    dicom = case.documents.get(kind="dicom")

    response = a_client.get(document_url(case, dicom))

    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body != DICOM_BYTES  # the de-identified copy (tests/intake/test_portal_deidentify.py)
    assert pydicom.dcmread(io.BytesIO(body)).PatientIdentityRemoved == "YES"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(action="portal.document_downloaded")
    assert event.actor == personas.clinic_a_staff
    assert event.data == {
        "reference": case.reference,
        "document_id": dicom.pk,
        "doc_type": "mri",
        "kind": "dicom",
        "clinic": personas.clinic_a.pk,
    }


def test_another_clinics_case_is_a_404_with_none_of_its_data(
    a_client: Client, cases: dict[str, Any]
) -> None:
    theirs = cases["b"]
    document = theirs.documents.first()
    for url in (detail(theirs), document_url(theirs, document)):
        response = a_client.get(url)
        assert response.status_code == 404
        assert "Numb fingers" not in response.content.decode()
        assert b"DICM" not in response.content
    # nor by mixing our case's reference with their document's id
    response = a_client.get(document_url(cases["a"], document))
    assert response.status_code == 404


def test_a_revoked_share_ends_access_at_once(a_client: Client, cases: dict[str, Any]) -> None:
    case = cases["a"]
    ClinicShare.objects.filter(case=case).update(revoked_at=timezone.now())
    assert a_client.get(detail(case)).status_code == 404
    assert a_client.get(document_url(case, case.documents.first())).status_code == 404
    assert case.reference not in a_client.get(LIST).content.decode()


def test_guessed_references_and_ids_are_404s(a_client: Client, cases: dict[str, Any]) -> None:
    unshared = CaseFactory.create(status=CaseStatus.MATCHED)
    CaseDocumentFactory.create(case=unshared)
    for url in (
        detail(unshared),
        document_url(unshared, unshared.documents.first()),
        "/portal/cases/SC-AAAA-AAAA/",
        "/portal/cases/not-a-reference/",
        "/portal/cases/%27%20OR%201=1--/",
        reverse("portal_cases:document", args=[cases["a"].reference, 999999]),
    ):
        response = a_client.get(url)
        assert response.status_code == 404, url
        assert unshared.reference not in response.content.decode()


@pytest.mark.parametrize("status", [CaseStatus.IN_REVIEW, CaseStatus.CLOSED, CaseStatus.WITHDRAWN])
def test_a_case_out_of_the_clinic_stage_is_not_visible(
    a_client: Client, personas: Any, status: str
) -> None:
    case = shared_case(personas.clinic_a, status=status)
    assert a_client.get(detail(case)).status_code == 404
    assert case.reference not in a_client.get(LIST).content.decode()


def test_a_suspended_clinic_loses_access_to_patient_data(
    a_client: Client, cases: dict[str, Any], personas: Any
) -> None:
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(
        status=ClinicStatus.SUSPENDED
    )
    assert a_client.get(detail(cases["a"])).status_code == 404
    assert cases["a"].reference not in a_client.get(LIST).content.decode()


def test_a_member_of_both_clinics_sees_both(
    client: Client, personas: Any, cases: dict[str, Any]
) -> None:
    ClinicMembershipFactory.create(user=personas.clinic_a_staff, clinic=personas.clinic_b)
    client.force_login(personas.clinic_a_staff)
    html = client.get(LIST).content.decode()
    assert cases["a"].reference in html and cases["b"].reference in html
    assert personas.clinic_b.name in html  # the "shared with" column appears


def test_anonymous_visitors_are_sent_to_log_in(client: Client, cases: dict[str, Any]) -> None:
    case = cases["a"]
    for url in (LIST, detail(case), document_url(case, case.documents.first())):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["alice", "concierge"])
def test_patients_and_concierge_staff_have_no_portal_cases(
    client: Client, personas: Any, cases: dict[str, Any], who: str
) -> None:
    client.force_login(getattr(personas, who))
    assert cases["a"].reference not in client.get(LIST).content.decode()
    assert client.get(detail(cases["a"])).status_code == 404


def test_the_list_runs_the_same_queries_for_5_or_50_shared_cases(
    a_client: Client, personas: Any, django_assert_num_queries: Any, figure: Any
) -> None:
    for _ in range(5):
        shared_case(personas.clinic_a)
    a_client.get(LIST)
    with django_assert_num_queries(PORTAL_LIST_QUERIES) as few:
        a_client.get(LIST)
    for _ in range(45):
        case = CaseFactory.create(status=CaseStatus.READY_FOR_CLINIC)
        CaseDocumentFactory.create(case=case)
        ClinicShareFactory.create(case=case, clinic=personas.clinic_a)
    with django_assert_num_queries(PORTAL_LIST_QUERIES) as many:
        response = a_client.get(LIST)
    assert response.content.decode().count("/portal/cases/SC-") == 50
    figure("portal_cases_list_queries", cases_5=len(few), cases_50=len(many))


# Session, user, the shares page (case, condition, patient's birth date and
# clinic joined, document counts annotated) and the user's clinics.
PORTAL_LIST_QUERIES = 4
