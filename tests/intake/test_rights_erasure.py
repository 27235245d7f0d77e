"""Erasure: staff confirm a patient's request; their data goes everywhere, or a legal hold stops it.

The proof is a scan: after erasure no marker of the patient (name, e-mail,
free text, file bytes) is in any column of any table, in any stored session,
or in any file under the private media folder.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent, Notification, NotificationStatus, Role
from followups.models import AdverseEvent, EventStatus
from intake.models import Case, CaseDocument, ErasureRequest, ErasureStatus, Patient
from intake.services.data_export import data_export_build, data_export_request
from intake.services.erasure import erasure_carry_out, erasure_request, reference_hash
from tests.conftest import Personas
from tests.factories import UserFactory

from .rights_data import MARKERS, RichPatient, rich_patient

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:intake_erasurerequest_changelist")


@pytest.fixture
def rich(personas: Personas) -> RichPatient:
    return rich_patient(clinic=personas.clinic_a, staff=personas.concierge)


@pytest.fixture
def no_retention(settings: Any) -> None:
    """The rich patient was treated a month ago: no clinic's retention period applies."""
    settings.TREATMENT_RECORD_RETENTION_YEARS = 0


def _erasure(rich: RichPatient) -> ErasureRequest:
    return ErasureRequest.objects.get(patient=rich.patient)


def markers_in_database() -> tuple[list[str], int]:
    """Every (table.column, marker) where a marker appears; and how many columns were read."""
    found: list[str] = []
    columns = 0
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                columns += 1
                for marker in MARKERS:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quote(table)} "  # noqa: S608 - names from introspection
                        f"WHERE LOWER(CAST({quote(column.name)} AS TEXT)) LIKE %s",
                        [f"%{marker.lower()}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.append(f"{table}.{column.name}: {marker}")
    for session in Session.objects.all():
        text = json.dumps(session.get_decoded()).lower()
        found += [f"session {session.pk}: {m}" for m in MARKERS if m.lower() in text]
    return found, columns


def markers_in_storage(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            found += [f"{path.name}: {m}" for m in MARKERS if m.lower().encode() in data]
    return found


def test_after_erasure_no_marker_is_left_anywhere(
    rich: RichPatient,
    bob_case: Case,
    personas: Personas,
    no_retention: None,
    private_media_root: Path,
    django_capture_on_commit_callbacks: Any,
    figure: Any,
) -> None:
    """
    GIVEN a patient with rows in every app, a built export, a session and admin history
    WHEN staff confirm their erasure request
    THEN no marker of theirs is in any table, session or stored file; Bob is untouched;
    an anonymous tombstone and the audit trail (ids only) remain
    """
    with django_capture_on_commit_callbacks(execute=False):
        export = data_export_request(case=rich.case)
    assert data_export_build(export_id=export.pk) is not None
    reference = rich.case.reference
    assert markers_in_database()[0] and markers_in_storage(private_media_root)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        tombstone = erasure_carry_out(erasure=_erasure(rich), acting_user=personas.concierge)
    seconds = round(time.monotonic() - started, 2)

    left, columns = markers_in_database()
    in_files = markers_in_storage(private_media_root)
    assert left == []
    assert in_files == []
    assert tombstone.status == ErasureStatus.COMPLETED and tombstone.patient_id is None
    assert tombstone.reference_hashes == [reference_hash(reference)]
    assert tombstone.counts["intake.Case"] == 1
    assert tombstone.counts["files"] == 2  # the document and the export
    assert not Patient.objects.filter(pk=rich.patient.pk).exists()
    bob_document = CaseDocument.objects.get(case=bob_case)
    assert Case.objects.filter(pk=bob_case.pk).exists()
    assert bob_document.file.storage.exists(str(bob_document.file.name))
    assert AuditEvent.objects.filter(
        action="intake.erasure_completed", target_id=str(tombstone.pk)
    ).exists()
    figure(
        "rights.erasure",
        tables=len(connection.introspection.table_names()),
        columns=columns,
        markers_left=len(left),
        files_left=len(in_files),
        seconds=seconds,
    )


def test_outbox_rows_about_the_patient_are_cancelled_and_blanked(
    rich: RichPatient, personas: Personas, no_retention: None
) -> None:
    queued = Notification.objects.filter(status=NotificationStatus.QUEUED)
    ids = list(queued.values_list("pk", flat=True))
    assert ids  # check-in invitations, the acknowledgement-free staff notices, ...

    erasure_carry_out(erasure=_erasure(rich), acting_user=personas.concierge)

    rows = Notification.objects.filter(pk__in=ids)
    about_patient = rows.exclude(kind="intake.erasure_requested")
    assert not about_patient.exclude(status=NotificationStatus.CANCELLED).exists()
    assert (
        not rows.exclude(
            recipient_address__in=["", personas.concierge.email, "concierge@example.test"]
        )
        .filter(recipient_address__icontains="quokka")
        .exists()
    )
    assert not Notification.objects.filter(recipient_user=rich.user).exists()


def test_the_patients_links_and_sessions_stop_working(
    rich: RichPatient, personas: Personas, no_retention: None, case_client: Any
) -> None:
    browser: Client = case_client(rich.case)
    assert browser.get(f"/intake/case/{rich.case.reference}/").status_code == 200

    erasure_carry_out(erasure=_erasure(rich), acting_user=personas.concierge)

    response = browser.get(f"/intake/case/{rich.case.reference}/")
    assert response.status_code == 404
    assert not Session.objects.filter(session_key=rich.session_key).exists()
    rich.user.refresh_from_db()
    assert not rich.user.is_active and not rich.user.has_usable_password()


def test_files_go_only_after_the_commit(
    rich: RichPatient,
    personas: Personas,
    no_retention: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    storage, name = rich.document.file.storage, str(rich.document.file.name)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        erasure_carry_out(erasure=_erasure(rich), acting_user=personas.concierge)
    assert storage.exists(name)
    for callback in callbacks:
        callback()
    assert not storage.exists(name)


def test_an_open_adverse_event_holds_the_erasure(
    rich: RichPatient, personas: Personas, no_retention: None
) -> None:
    AdverseEvent.objects.filter(pk=rich.event.pk).update(status=EventStatus.GRADED)

    result = erasure_carry_out(erasure=_erasure(rich), acting_user=personas.concierge)

    assert result.status == ErasureStatus.HELD
    assert [h["code"] for h in result.holds] == ["adverse_event_open"]
    assert Patient.objects.filter(pk=rich.patient.pk).exists()
    assert CaseDocument.objects.filter(pk=rich.document.pk).exists()
    event = AuditEvent.objects.get(action="intake.erasure_held")
    assert event.data["holds"] == result.holds

    AdverseEvent.objects.filter(pk=rich.event.pk).update(status=EventStatus.CLOSED)
    done = erasure_carry_out(erasure=result, acting_user=personas.concierge)
    assert done.status == ErasureStatus.COMPLETED


def test_a_treatment_record_in_its_retention_period_holds_the_erasure(
    rich: RichPatient, personas: Personas, settings: Any
) -> None:
    settings.TREATMENT_RECORD_RETENTION_YEARS = 1
    settings.TREATMENT_RECORD_RETENTION_YEARS_BY_COUNTRY = {"MX": 5}  # the clinic is in Mexico

    result = erasure_carry_out(erasure=_erasure(rich), acting_user=personas.concierge)

    assert result.status == ErasureStatus.HELD
    hold = result.holds[0]
    assert hold["code"] == "treatment_record_retention"
    assert (
        hold["until"]
        == rich.record.treated_on.replace(year=rich.record.treated_on.year + 5).isoformat()
    )
    assert Case.objects.filter(pk=rich.case.pk).exists()


def test_the_held_request_shows_why_on_the_case_page(
    rich: RichPatient, personas: Personas, case_client: Any
) -> None:
    erasure_carry_out(erasure=_erasure(rich), acting_user=personas.concierge)
    page = case_client(rich.case).get(f"/intake/case/{rich.case.reference}/").content.decode()
    assert 'id="erasure-status"' in page
    assert "legal retention period" in page


def test_staff_erase_from_the_admin_and_the_action_is_audited(
    rich: RichPatient, personas: Personas, no_retention: None, client: Client
) -> None:
    client.force_login(personas.concierge)
    erasure = _erasure(rich)
    response = client.post(
        CHANGELIST,
        {
            "action": "carry_out",
            "index": 0,
            "_selected_action": [erasure.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 patient(s) erased."]
    event = AuditEvent.objects.get(action="intake.erasure_completed")
    assert event.actor == personas.concierge
    text = json.dumps(event.data)
    assert all(m.lower() not in text.lower() for m in MARKERS)


def test_the_admin_refuses_back_office_staff_without_the_concierge_role(
    rich: RichPatient, client: Client
) -> None:
    administrator = UserFactory.create(is_staff=True, roles=[Role.ADMINISTRATOR])
    client.force_login(administrator)
    erasure = _erasure(rich)
    assert client.get(CHANGELIST).status_code == 403
    client.post(CHANGELIST, {"action": "carry_out", "index": 0, "_selected_action": [erasure.pk]})
    assert Patient.objects.filter(pk=rich.patient.pk).exists()


def test_the_patient_asks_for_erasure_on_the_case_page(bob_case: Case, case_client: Any) -> None:
    browser: Client = case_client(bob_case)
    url = f"/intake/case/{bob_case.reference}/erasure/"
    refused = browser.post(url, {}, follow=True)
    assert "Tick the box" in refused.content.decode()
    assert not ErasureRequest.objects.exists()

    browser.post(url, {"erase_confirm": "on"})

    request = ErasureRequest.objects.get(patient=bob_case.patient)
    assert request.status == ErasureStatus.REQUESTED
    assert AuditEvent.objects.filter(
        action="intake.erasure_requested", actor_label="patient"
    ).exists()
    staff_notice = Notification.objects.get(kind="intake.erasure_requested")
    assert staff_notice.about_id == str(request.pk)
    page = browser.get(f"/intake/case/{bob_case.reference}/").content.decode()
    assert 'id="erasure-status"' in page


def test_another_patients_session_cannot_ask_to_erase_alice(
    alice_case: Case, bob_case: Case, case_client: Any
) -> None:
    bob: Client = case_client(bob_case)
    response = bob.post(f"/intake/case/{alice_case.reference}/erasure/", {"erase_confirm": "on"})
    assert response.status_code == 404
    assert "Alice" not in response.content.decode()
    assert not ErasureRequest.objects.exists()


def test_asking_twice_keeps_one_open_request(bob_case: Case) -> None:
    first = erasure_request(case=bob_case)
    assert erasure_request(case=bob_case).pk == first.pk
