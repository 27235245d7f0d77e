"""The case's history page shows clinical answers' values to clinician reviewers only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.intake.staff_factories import CaseFactory

pytestmark = pytest.mark.django_db


def _history(user: Any, case: Any) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:intake_case_history", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_concierge_staff_see_that_a_clinical_answer_changed_but_not_what_it_said(
    personas: Any,
) -> None:
    """GIVEN a case whose symptoms the patient rewrote (the wizard saves each step)
    WHEN a concierge without the clinician role opens its history
    THEN the change is listed by field name, with neither the old nor the new words."""
    case = CaseFactory.create(symptoms="Sharp pain climbing stairs")
    case.symptoms = "Swelling after walking the dog"
    case.save()

    html = _history(personas.concierge, case)

    assert "Sharp pain" not in html and "Swelling after" not in html
    assert "clinician reviewers only" in html


def test_clinician_reviewers_see_the_clinical_values_in_the_history(personas: Any) -> None:
    case = CaseFactory.create(symptoms="Sharp pain climbing stairs")
    case.symptoms = "Swelling after walking the dog"
    case.save()

    html = _history(personas.clinician, case)

    assert "Sharp pain" in html and "Swelling after" in html
