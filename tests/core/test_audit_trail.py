"""Admin looks at patient data are audited, and a case's whole trail is one link away."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from core.admin_audit import AccessAuditAdminMixin, audit_trail_url
from core.audit import audit_event_record
from core.models import AuditEvent, Role
from core.privacy import is_patient_data, patient_data_models, subject_of
from intake.models import Case, CaseDocument
from tests.factories import UserFactory
from tests.intake.staff_factories import CaseDocumentFactory, CaseFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_admin_of_a_patient_data_model_inherits_the_audit_mixin() -> None:
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if is_patient_data(model) and not isinstance(model_admin, AccessAuditAdminMixin)
    ]
    assert unaudited == []


def test_the_declared_models_include_the_case_and_what_hangs_under_it() -> None:
    labels = {entry.label for entry in patient_data_models()}
    assert {
        "intake.Case",
        "intake.Patient",
        "intake.CaseDocument",
        "intake.CaseMessage",
        "consultations.Booking",
        "consultations.TreatmentRecord",
        "followups.CheckIn",
        "followups.CheckInAnswer",
        "followups.AdverseEvent",
    } <= labels


def test_a_document_row_is_filed_under_its_case_without_a_query(
    django_assert_num_queries: Any,
) -> None:
    document = CaseDocumentFactory.create()
    with django_assert_num_queries(0):
        assert subject_of(document) == (Case, document.case_id)


def test_opening_a_case_in_the_admin_writes_one_admin_viewed_row(personas: Any) -> None:
    case = CaseFactory.create()
    response = _client(personas.concierge).get(
        reverse("admin:intake_case_change", args=[case.pk]), REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="admin.viewed")
    assert (event.actor, event.target_id, event.subject_id) == (
        personas.concierge,
        str(case.pk),
        str(case.pk),
    )
    assert event.ip_address == "198.51.100.7"
    assert event.data == {"page": "change"}
    assert audit_trail_url(case).encode() in response.content.replace(b"&amp;", b"&")


def test_the_history_page_writes_one_history_viewed_row(personas: Any) -> None:
    case = CaseFactory.create()
    response = _client(personas.concierge).get(reverse("admin:intake_case_history", args=[case.pk]))
    assert response.status_code == 200
    assert (
        AuditEvent.objects.filter(action="admin.history_viewed", target_id=str(case.pk)).count()
        == 1
    )


def test_a_refused_page_writes_nothing(personas: Any) -> None:
    case = CaseFactory.create()
    response = _client(personas.clinic_a_staff).get(
        reverse("admin:intake_case_change", args=[case.pk])
    )
    assert response.status_code in (302, 403)
    assert not AuditEvent.objects.exists()


def test_the_trail_shows_the_case_and_its_documents_and_nothing_else(personas: Any) -> None:
    document = CaseDocumentFactory.create()
    other = CaseDocumentFactory.create()
    audit_event_record(action="test.case", acting_user=None, target=document.case)
    audit_event_record(action="test.document", acting_user=None, target=document)
    audit_event_record(action="test.other", acting_user=None, target=other)
    CaseDocument.objects.filter(pk=document.pk).delete()  # the trail outlives the row

    page = _client(personas.concierge).get(audit_trail_url(document.case))

    assert page.status_code == 200
    shown = {row.action for row in page.context["cl"].result_list}
    assert shown == {"test.case", "test.document"}


def test_a_patients_trail_includes_every_one_of_their_cases(personas: Any) -> None:
    first = CaseFactory.create()
    second = CaseFactory.create(patient=first.patient)
    audit_event_record(action="test.first", acting_user=None, target=first)
    audit_event_record(action="test.second", acting_user=None, target=second)
    audit_event_record(action="test.patient", acting_user=None, target=first.patient)
    audit_event_record(action="test.stranger", acting_user=None, target=CaseFactory.create())

    page = _client(personas.concierge).get(audit_trail_url(first.patient))

    assert {row.action for row in page.context["cl"].result_list} == {
        "test.first",
        "test.second",
        "test.patient",
    }


def test_the_trail_page_runs_the_same_queries_for_3_or_60_events(
    personas: Any, django_assert_num_queries: Any
) -> None:
    document = CaseDocumentFactory.create()
    client = _client(personas.concierge)
    url = audit_trail_url(document.case)
    for _ in range(3):
        audit_event_record(action="test.look", acting_user=personas.concierge, target=document)
    client.get(url)  # warm the session and the content-type cache
    # session, user, groups, permissions (2), content types, count,
    # rows, date range, dates, actions: never one per row.
    with django_assert_num_queries(11) as few:
        assert client.get(url).status_code == 200
    for _ in range(57):
        audit_event_record(action="test.look", acting_user=personas.concierge, target=document)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert len(page.context["cl"].result_list) == 60


def test_clinic_staff_and_administrators_cannot_read_the_trail(personas: Any) -> None:
    case = CaseFactory.create()
    administrator = UserFactory.create(is_staff=True, roles=[Role.ADMINISTRATOR])
    for user in (personas.clinic_a_staff, administrator):
        assert _client(user).get(audit_trail_url(case)).status_code in (302, 403)
