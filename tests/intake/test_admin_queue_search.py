"""The triage queue's search at any size: references, names and e-mails, and the
document counts per row, without reading every case and patient for each search."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.admin.queue import could_be_in_a_reference
from intake.models import DocumentType

from .staff_factories import CaseDocumentFactory, CaseFactory, PatientFactory

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:intake_case_changelist")


@pytest.fixture
def concierge_client(client: Client, personas: Any) -> Client:
    client.force_login(personas.concierge)
    return client


def found(client: Client, term: str) -> set[str]:
    response = client.get(QUEUE, {"q": term, "queue": "all"})
    assert response.status_code == 200
    return {case.reference for case in response.context["cl"].result_list}


def test_it_finds_a_case_by_the_patients_name_email_or_reference(
    concierge_client: Client,
) -> None:
    smith = CaseFactory.create(
        patient=PatientFactory.create(full_name="Jane Smith", email="jane@mail.example")
    )
    other = CaseFactory.create(
        patient=PatientFactory.create(full_name="Omar Haddad", email="omar@mail.example")
    )
    assert found(concierge_client, "smith") == {smith.reference}
    assert found(concierge_client, "JANE@mail") == {smith.reference}
    assert found(concierge_client, "jane smith") == {smith.reference}
    assert found(concierge_client, '"omar haddad"') == {other.reference}
    assert found(concierge_client, smith.reference.lower()) == {smith.reference}
    assert found(concierge_client, other.reference[3:]) == {other.reference}  # no "SC-"
    assert found(concierge_client, "nobody") == set()


def test_a_word_that_cannot_be_part_of_a_reference_never_reads_the_references(
    concierge_client: Client,
) -> None:
    """References use only their own alphabet (no I, L, O, S...): "smith" cannot match one."""
    CaseFactory.create()
    assert not could_be_in_a_reference("smith")
    assert could_be_in_a_reference("7K4M") and could_be_in_a_reference("sc-7k4m")
    reference_like = re.compile(r'"intake_case"\."reference"(::text\))? LIKE')
    with CaptureQueriesContext(connection) as captured:
        found(concierge_client, "smith")
    page = " ".join(q["sql"] for q in captured.captured_queries)
    assert not reference_like.search(page)
    # The document counts are per-row subqueries, not a GROUP BY over every case.
    assert 'GROUP BY "intake_case"."id"' not in page
    with CaptureQueriesContext(connection) as captured:
        found(concierge_client, "7K4M")
    assert reference_like.search(" ".join(q["sql"] for q in captured.captured_queries))


def test_each_row_counts_its_imaging_and_records(concierge_client: Client) -> None:
    case = CaseFactory.create()
    CaseDocumentFactory.create(case=case, doc_type=DocumentType.MRI)
    CaseDocumentFactory.create(case=case, doc_type=DocumentType.CT)
    CaseDocumentFactory.create(case=case, doc_type=DocumentType.LAB)
    bare = CaseFactory.create()
    response = concierge_client.get(QUEUE, {"queue": "all"})
    rows = {c.reference: c for c in response.context["cl"].result_list}
    assert (rows[case.reference].imaging_count, rows[case.reference].record_count) == (2, 1)
    assert (rows[bare.reference].imaging_count, rows[bare.reference].record_count) == (0, 0)
