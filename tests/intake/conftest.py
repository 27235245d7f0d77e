"""Intake fixtures: Alice's and Bob's cases, and browsers that hold their links."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from intake.models import Case, DocumentType, TokenPurpose
from intake.services import access_token_issue
from tests.conftest import Personas

from .factories import make_case, make_condition, make_document, make_patient


@pytest.fixture
def knee(db: None):  # type: ignore[no-untyped-def]
    return make_condition(
        name="Knee osteoarthritis", slug="knee-osteoarthritis", category="orthopedic"
    )


@pytest.fixture
def alice_case(personas: Personas, knee) -> Case:  # type: ignore[no-untyped-def]
    patient = make_patient(
        user=personas.alice,
        full_name="Alice Archer",
        email=personas.alice.email,
        country="GB",
        time_zone="Europe/London",
    )
    case = make_case(patient=patient, condition=knee, preferred_clinic=personas.clinic_a)
    make_document(case=case, doc_type=DocumentType.MRI, original_name="alice-knee-mri.pdf")
    return case


@pytest.fixture
def bob_case(personas: Personas, knee) -> Case:  # type: ignore[no-untyped-def]
    patient = make_patient(
        user=personas.bob,
        full_name="Bob Baker",
        email=personas.bob.email,
        sex="male",
        country="CA",
        time_zone="America/Toronto",
    )
    case = make_case(patient=patient, condition=knee, symptoms="Bob's private symptoms")
    make_document(case=case, doc_type=DocumentType.RECORD, original_name="bob-letter.pdf")
    return case


def open_case(client: Client, case: Case) -> str:
    """Do what a patient does with the emailed link: GET the landing, POST 'open'."""
    raw = access_token_issue(case=case, purpose=TokenPurpose.CASE, acting_user=None)
    url = f"/intake/c/{raw}/"
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302, response.content[:500]
    return raw


@pytest.fixture
def case_client() -> Callable[[Case], Client]:
    """A fresh browser that has opened ``case``'s emailed link."""

    def make(case: Case) -> Client:
        client = Client()
        open_case(client, case)
        return client

    return make


@pytest.fixture
def eager_tasks():  # type: ignore[no-untyped-def]
    """Run Celery tasks in-process (the real-worker path has its own services test)."""
    from config.celery_app import app

    old = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old
