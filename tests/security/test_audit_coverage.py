"""Audit coverage: a scripted session does each patient-data operation, as the
application's own database role; each leaves exactly one audit row, filed under the
right case, from the client's address, with no patient value in it; and that role
cannot UPDATE or DELETE the trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import ProgrammingError, connection, transaction
from django.db.models import Model
from django.test import Client
from django.urls import NoReverseMatch, reverse

from core.models import AuditEvent
from core.privacy import subject_of

from .world import CLINICIAN, CONCIERGE, World, clinic_actor, patient_actor

pytestmark = pytest.mark.django_db

AppRole = Callable[[], AbstractContextManager[str]]


@dataclass(frozen=True)
class Operation:
    name: str
    actor: str
    method: str
    url: str
    action: str | None  # None: the row's action is the operation's own (checked by count)
    about: Model  # the row must be filed under this record's subject
    data: dict[str, Any] | None = None


def operations(world: World) -> list[Operation]:
    a = world.tenants["a"]
    patient, clinic = patient_actor("a"), clinic_actor("a")
    ref = a.case.reference
    ops = [
        Operation(
            "patient views their case page",
            patient,
            "GET",
            f"/intake/case/{ref}/",
            "intake.case_viewed",
            a.case,
        ),
        Operation(
            "patient downloads their document",
            patient,
            "GET",
            f"/intake/case/{ref}/documents/{a.document.pk}/",
            "intake.document_downloaded",
            a.case,
        ),
        Operation(
            "patient downloads a file from their unfinished intake",
            patient,
            "GET",
            f"/intake/step/records/documents/{a.draft_document.pk}/",
            "intake.document_downloaded",
            a.draft,
        ),
        Operation(
            "patient sends the concierge a message",
            patient,
            "POST",
            f"/intake/case/{ref}/message/",
            "case.message_sent",
            a.case,
            {"body": f"About my knee {a.marker('message')}"},
        ),
        Operation(
            "patient views a booking from the case page",
            patient,
            "GET",
            f"/consultations/case/{ref}/{a.booking.pk}/",
            "consultations.booking_viewed",
            a.case,
        ),
        Operation(
            "patient views a booking from the e-mailed link",
            patient,
            "GET",
            f"/consultations/b/{a.booking_token}/",
            "consultations.booking_viewed",
            a.case,
        ),
        Operation(
            "patient opens a check-in with their saved answers",
            patient,
            "GET",
            "/follow-up/check-in/1/",
            "followups.checkin_viewed",
            a.case,
        ),
        Operation(
            "patient answers a check-in page",
            patient,
            "POST",
            "/follow-up/check-in/1/",
            "followups.answer_saved",
            a.case,
            {"pain_now": "3", "pgic": "5", "function_limit": "3"},
        ),
        Operation(
            "clinic views the shared case",
            clinic,
            "GET",
            f"/portal/cases/{ref}/",
            "portal.case_viewed",
            a.case,
        ),
        Operation(
            "clinic downloads a document",
            clinic,
            "GET",
            f"/portal/cases/{ref}/documents/{a.document.pk}/",
            "portal.document_downloaded",
            a.case,
        ),
        Operation(
            "clinic downloads the imaging zip",
            clinic,
            "GET",
            f"/portal/cases/{ref}/imaging-zip/{a.archive.pk}/",
            "portal.study_archive_downloaded",
            a.case,
        ),
        Operation(
            "clinic views a booking",
            clinic,
            "GET",
            f"/portal/{a.clinic.slug}/consultations/{a.booking.pk}/",
            "consultations.booking_viewed",
            a.case,
        ),
        Operation(
            "clinic views an adverse event",
            clinic,
            "GET",
            f"/portal/follow-ups/events/{a.event.pk}/",
            "followups.adverse_event_viewed",
            a.case,
        ),
        Operation(
            "clinic rates an adverse event",
            clinic,
            "POST",
            f"/portal/follow-ups/events/{a.event.pk}/",
            "followups.adverse_event_clinic_rated",
            a.case,
            {"relatedness": "possible"},
        ),
        Operation(
            "clinician downloads a document in the admin",
            CLINICIAN,
            "GET",
            reverse("admin:intake_case_document", args=[a.case.pk, a.document.pk]),
            "intake.document_downloaded",
            a.case,
        ),
        Operation(
            "concierge grades an adverse event in the admin",
            CONCIERGE,
            "POST",
            reverse("admin:followups_adverseevent_change", args=[a.event.pk]),
            "followups.adverse_event_graded",
            a.case,
            {
                "ctcae_grade": "1",
                "relatedness": "possible",
                "action_taken": "none",
                "outcome": "recovered",
            },
        ),
    ]
    for row in (
        a.case,
        a.patient,
        a.booking,
        a.check_in,
        a.event,
        a.record,
        a.plan,
        a.schedule,
        a.task,
        a.proposal,
        a.share,
    ):
        info = row._meta.app_label, row._meta.model_name
        ops.append(
            Operation(
                f"concierge opens a {info[1]} in the admin",
                CONCIERGE,
                "GET",
                reverse("admin:{}_{}_change".format(*info), args=[row.pk]),
                "admin.viewed",
                row,
            )
        )
    for row in (a.case, a.patient, a.proposal):
        info = row._meta.app_label, row._meta.model_name
        ops.append(
            Operation(
                f"concierge opens a {info[1]}'s history",
                CONCIERGE,
                "GET",
                reverse("admin:{}_{}_history".format(*info), args=[row.pk]),
                "admin.history_viewed",
                row,
            )
        )
    try:  # the patient's own copy of their data, where the rights pages exist
        export = a.extra.get("intake.DataExport")
        if export is not None:  # one export at a time: ask for a fresh one
            type(export)._default_manager.filter(pk=export.pk).delete()
        ops.append(
            Operation(
                "patient asks for a copy of their data",
                patient,
                "POST",
                reverse("intake:case_export", args=[ref]),
                None,
                a.case,
            )
        )
    except NoReverseMatch:
        pass
    return ops


def _send(client: Client, op: Operation, address: str) -> int:
    if op.method == "GET":
        response = client.get(op.url, REMOTE_ADDR=address)
    else:
        response = client.post(op.url, op.data or {}, REMOTE_ADDR=address)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return int(response.status_code)


def _row_text(event: AuditEvent) -> str:
    return json.dumps(
        {
            "actor_label": event.actor_label,
            "action": event.action,
            "target": event.target_id,
            "subject": event.subject_id,
            "data": event.data,
        },
        default=str,
    ).lower()


def _problems(
    world: World, op: Operation, status: int, rows: list[AuditEvent], address: str
) -> list[str]:
    if status >= 400:
        return [f"answered {status}"]
    if len(rows) != 1:
        return [f"{len(rows)} audit rows: {[r.action for r in rows]}"]
    row = rows[0]
    found = []
    if op.action is not None and row.action != op.action:
        found.append(f"action {row.action}, expected {op.action}")
    model, pk = subject_of(op.about)
    if (row.subject_type.model_class() if row.subject_type else None, row.subject_id) != (
        model,
        str(pk),
    ):
        found.append(f"filed under {row.subject_type} #{row.subject_id}, not {model} #{pk}")
    if row.ip_address != address:
        found.append(f"address {row.ip_address}, expected {address}")
    text = _row_text(row)
    found += [f"patient value {m.kind} in the row" for m in world.markers() if m.text in text]
    return found


def _refused(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except ProgrammingError as exc:
        return "permission denied" in str(exc)
    return False


def test_every_look_and_change_leaves_one_clean_audit_row(
    world: World, app_role: AppRole, figure: Any
) -> None:
    """GIVEN the two-tenant world, every record carrying a marker string
    WHEN patient A, clinic A, a concierge and a clinician each do what they do with
    patient data, as the application's database role
    THEN each operation leaves exactly one audit row, filed under A's case, from the
    client's address, with no marker in it; and the role cannot rewrite the trail."""
    failures: list[str] = []
    ops = operations(world)
    # On PostgreSQL the session runs as the application's role (on the embedded SQLite of a
    # developer machine, as the only user there is; CI runs PostgreSQL).
    on_postgres = connection.vendor == "postgresql"
    with app_role() if on_postgres else nullcontext():
        for number, op in enumerate(ops, start=1):
            address = f"198.51.100.{number}"
            before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            status = _send(world.clients[op.actor], op, address)
            rows = list(AuditEvent.objects.filter(pk__gt=before).select_related("subject_type"))
            failures += [f"{op.name}: {p}" for p in _problems(world, op, status, rows, address)]
        if on_postgres:
            update_refused = _refused("UPDATE core_auditevent SET action = 'rewritten'")
            delete_refused = _refused("DELETE FROM core_auditevent")
    covered = len(ops) - len({f.split(":")[0] for f in failures})
    if not on_postgres:
        figure("audit", coverage=f"{covered}/{len(ops)}", database=connection.vendor)
        assert failures == []
        return
    figure(
        "audit",
        coverage=f"{covered}/{len(ops)}",
        update_refused=update_refused,
        delete_refused=delete_refused,
    )
    assert failures == []
    assert update_refused and delete_refused
