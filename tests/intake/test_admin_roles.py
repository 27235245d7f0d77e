"""Roles by need in the triage admin: only clinician reviewers see clinical answers and files."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from tests.factories import UserFactory

from .staff_factories import CaseDocumentFactory, CaseFactory

pytestmark = pytest.mark.django_db

MEDICATION_MARKER = "Marker-Warfarin-5mg"
SYMPTOM_MARKER = "Marker-knee-locks-at-night"


@pytest.fixture
def case_with_clinical_answers() -> Any:
    case = CaseFactory.create(
        current_medications=MEDICATION_MARKER,
        symptoms=SYMPTOM_MARKER,
        takes_anticoagulants=True,
        anticoagulants_details="Warfarin",
    )
    CaseDocumentFactory.create(case=case)
    return case


def _change_page(client: Client, case: Any) -> str:
    response = client.get(reverse("admin:intake_case_change", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_concierge_without_the_clinician_role_triages_without_the_clinical_answers(
    client: Client, personas: Any, case_with_clinical_answers: Any
) -> None:
    client.force_login(personas.concierge)
    html = _change_page(client, case_with_clinical_answers)
    assert case_with_clinical_answers.reference in html
    assert "Condition" in html and "Plans" in html  # what triage needs stays
    assert "Medical history" not in html and "Screening" not in html
    assert MEDICATION_MARKER not in html
    assert SYMPTOM_MARKER not in html
    assert "sc-download" not in html  # no document rows at all


def test_a_clinician_reviewer_sees_the_clinical_answers_and_the_documents(
    client: Client, personas: Any, case_with_clinical_answers: Any
) -> None:
    client.force_login(personas.clinician)
    html = _change_page(client, case_with_clinical_answers)
    assert MEDICATION_MARKER in html
    assert SYMPTOM_MARKER in html
    assert "Medical history" in html
    assert "sc-download" in html


def test_document_download_is_refused_to_concierge_staff_who_are_not_clinicians(
    client: Client, personas: Any, case_with_clinical_answers: Any
) -> None:
    document = case_with_clinical_answers.documents.get()
    url = reverse("admin:intake_case_document", args=[document.case_id, document.pk])

    client.force_login(personas.concierge)
    refused = client.get(url)
    assert refused.status_code == 404
    assert b"DICM" not in refused.content

    client.force_login(personas.clinician)
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action="intake.document_downloaded").count() == 1


def test_the_clinician_role_alone_does_not_open_the_triage_queue(
    client: Client, case_with_clinical_answers: Any
) -> None:
    from core.models import Role

    only_clinician = UserFactory.create(is_staff=True, roles=[Role.CLINICIAN])
    client.force_login(only_clinician)
    assert client.get(reverse("admin:intake_case_changelist")).status_code == 403
    document = case_with_clinical_answers.documents.get()
    url = reverse("admin:intake_case_document", args=[document.case_id, document.pk])
    assert client.get(url).status_code == 404


def test_an_administrator_manages_accounts_but_never_sees_a_case(
    client: Client, case_with_clinical_answers: Any
) -> None:
    from core.models import Role

    administrator = UserFactory.create(is_staff=True, roles=[Role.ADMINISTRATOR])
    client.force_login(administrator)
    assert client.get(reverse("admin:core_user_changelist")).status_code == 200
    assert client.get(reverse("admin:intake_case_changelist")).status_code == 403
    response = client.get(reverse("admin:intake_case_change", args=[case_with_clinical_answers.pk]))
    assert response.status_code in (302, 403)
    assert case_with_clinical_answers.reference.encode() not in response.content
