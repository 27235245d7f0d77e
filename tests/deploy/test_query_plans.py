"""The hot queries of the admin and the dispatchers use an index on PostgreSQL.

A few thousand rows are made in bulk (2,000 cases, treatments and schedules,
12,000 check-ins, 2,000 staff tasks, 400 adverse events, 10,000 e-mails), the
tables are ANALYZEd, and no query may read its table without an index; where
we added an index for a query, its plan must name it. The plans are
printed (``pytest tests/deploy/test_query_plans.py -s``); docs/deploy.md shows
a run of them. Needs PostgreSQL (CI has it; elsewhere it skips with the reason).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from clinics.models import Route
from consultations.models import PhaseKind, RecordStatus, TreatmentRecord
from core.notifications.models import Notification
from core.notifications.services.dispatch import _claimable
from followups.models import (
    AdverseEvent,
    CheckIn,
    CheckInStatus,
    FollowUpSchedule,
    ScheduleStatus,
    StaffTask,
    TaskKind,
    TaskStatus,
)
from followups.services.schedule import CALL_TASK_AFTER
from intake.models import Case, CaseStatus, Patient
from tests.clinics.factories import OfferingFactory
from tests.conftest import require
from tests.intake.factories import CaseFactory, PatientFactory, make_condition

pytestmark = pytest.mark.django_db

CASES = 2_000
TIME_POINTS = ["2d", "1w", "1m", "3m", "6m", "12m"]
NOW = timezone.now()
LEASE = "a" * 32


def _bulk(personas: Any) -> None:
    clinic = personas.clinic_a
    condition = make_condition(name="Knee osteoarthritis", slug="knee-oa", category="orthopedic")
    offering = OfferingFactory.create(clinic=clinic)
    patients = Patient.objects.bulk_create(PatientFactory.build() for _ in range(CASES))
    statuses = [CaseStatus.NEW, CaseStatus.IN_REVIEW, CaseStatus.MATCHED, CaseStatus.CLOSED]
    cases = Case.objects.bulk_create(
        CaseFactory.build(
            patient=p,
            condition=condition,
            status=statuses[i % 4],
            submitted_at=NOW - dt.timedelta(hours=i),
        )
        for i, p in enumerate(patients)
    )
    treatments = TreatmentRecord.objects.bulk_create(
        TreatmentRecord(
            case=c,
            clinic=clinic,
            offering=offering,
            kind=PhaseKind.TREATMENT,
            status=RecordStatus.COMPLETED,
            completed_at=NOW - dt.timedelta(days=i % 400),
            treated_on=(NOW - dt.timedelta(days=i % 400)).date(),
            cell_count_millions=Decimal("50"),
            route=Route.JOINT,
            site="knee",
            cell_lot=f"LOT-{i}",
        )
        for i, c in enumerate(cases)
    )
    schedules = FollowUpSchedule.objects.bulk_create(
        FollowUpSchedule(
            treatment=t,
            case=t.case,
            clinic=clinic,
            status=ScheduleStatus.ACTIVE if i % 10 else ScheduleStatus.ENDED,
        )
        for i, t in enumerate(treatments)
    )
    check_ins: list[CheckIn] = []
    for i, schedule in enumerate(schedules):
        for j, point in enumerate(TIME_POINTS):
            due = NOW - dt.timedelta(days=(i % 400) - 30 * j)
            # Most are long answered or missed; a handful are due now or waiting for an answer.
            status = (
                CheckInStatus.SCHEDULED
                if due > NOW or (i % 97 == 0 and j == 0)
                else CheckInStatus.INVITED
                if i % 53 == 0
                else CheckInStatus.ANSWERED
                if (i + j) % 3
                else CheckInStatus.MISSED
            )
            check_ins.append(
                CheckIn(
                    schedule=schedule,
                    time_point=point,
                    due_at=due,
                    status=status,
                    answered_at=due if status == CheckInStatus.ANSWERED else None,
                )
            )
    check_ins = CheckIn.objects.bulk_create(check_ins)
    StaffTask.objects.bulk_create(
        StaffTask(
            check_in=c,
            kind=TaskKind.REVIEW_ANSWERS,
            due_at=c.due_at + dt.timedelta(days=1),
            status=TaskStatus.OPEN if i % 20 == 0 else TaskStatus.DONE,
        )
        for i, c in enumerate(check_ins[::6])
    )
    AdverseEvent.objects.bulk_create(
        AdverseEvent(
            check_in=c,
            schedule_id=c.schedule_id,
            clinic=clinic,
            reasons=["fever"],
            reported_at=c.due_at,
            clinic_rating_due_at=c.due_at,
            status="open" if i % 25 == 0 else "closed",
            ctcae_grade=None if i % 25 == 0 else 1,
            relatedness="" if i % 25 == 0 else "possible",
            action_taken="none",
            outcome="recovered",
            graded_at=None if i % 25 == 0 else c.due_at,
        )
        for i, c in enumerate(check_ins[::30])
    )
    Notification.objects.bulk_create(
        Notification(
            kind="followups.checkin_invite",
            dedupe_key=f"n-{i}",
            message_id=f"<{uuid.uuid4().hex}@concierge.example>",
            status=("queued" if i % 500 == 0 else "sending" if i % 499 == 0 else "sent"),
            lease_token=LEASE if i % 499 == 0 else uuid.uuid4().hex,
            lease_expires_at=NOW + dt.timedelta(minutes=5) if i % 499 == 0 else None,
            due_at=NOW - dt.timedelta(minutes=i % 60),
            created_at=NOW - dt.timedelta(minutes=i),
            sent_at=NOW - dt.timedelta(minutes=i),
        )
        for i in range(10_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# name -> (the queryset as the code builds it, its main table, the index it must use or None
# where the planner may pick any of the table's indexes)
HOT: dict[str, tuple[Callable[[], QuerySet[Any]], str, str | None]] = {
    "outbox dispatcher: claim due rows (core.notifications.services.dispatch.outbox_claim_due)": (
        lambda: (
            Notification.objects.filter(_claimable(NOW))
            .order_by("priority", "due_at")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:500]
        ),
        "core_notification",
        "core_notif_lease_idx",
    ),
    "outbox dispatcher: the rows of one lease": (
        lambda: (
            Notification.objects.filter(lease_token=LEASE)
            .order_by("priority", "due_at")
            .values_list("pk", flat=True)
        ),
        "core_notification",
        "core_notif_lease_token_idx",
    ),
    "admin, notifications: the first page, newest first": (
        lambda: Notification.objects.order_by("-created_at", "-id")[:100],
        "core_notification",
        "core_notif_created_idx",
    ),
    "follow-ups ladder: scheduled check-ins now due": (
        lambda: CheckIn.objects.filter(
            status=CheckInStatus.SCHEDULED, due_at__lte=NOW, schedule__status=ScheduleStatus.ACTIVE
        ),
        "followups_checkin",
        None,
    ),
    "follow-ups ladder: invited 10 days without an answer": (
        lambda: CheckIn.objects.filter(
            status=CheckInStatus.INVITED,
            due_at__lte=NOW - CALL_TASK_AFTER,
            schedule__status=ScheduleStatus.ACTIVE,
        ).exclude(tasks__kind=TaskKind.CALL_PATIENT),
        "followups_checkin",
        "followups_checkin_due_idx",
    ),
    "admin, follow-up tasks: the default list (status, then soonest due)": (
        lambda: StaffTask.objects.order_by("status", "due_at", "-pk")[:100],
        "followups_stafftask",
        "followups_task_queue_idx",
    ),
    "admin, follow-up tasks: open ones": (
        lambda: StaffTask.objects.filter(status=TaskStatus.OPEN).order_by(
            "status", "due_at", "-pk"
        )[:100],
        "followups_stafftask",
        None,
    ),
    "admin, adverse events: open ones, oldest first": (
        lambda: AdverseEvent.objects.filter(status="open").order_by("reported_at", "-pk")[:100],
        "followups_adverseevent",
        None,
    ),
    "admin, cases: the triage queue (status new, oldest first)": (
        lambda: Case.objects.filter(status=CaseStatus.NEW).order_by("submitted_at", "pk")[:100],
        "intake_case",
        None,
    ),
}


def test_every_hot_query_reads_through_an_index(personas: Any, capsys: Any) -> None:
    require(connection.vendor == "postgresql", "query plans are PostgreSQL's: set DATABASE_URL")
    _bulk(personas)
    report: list[str] = []
    wrong: list[str] = []
    for name, (build, table, index) in HOT.items():
        plan = build().explain()
        report.append(f"-- {name}\n{plan}\n")
        if f"Seq Scan on {table}" in plan or " Index " not in f" {plan} ".replace("\n", " "):
            wrong.append(f"{name}: reads {table} without an index")
        if index is not None and index not in plan:
            wrong.append(f"{name}: does not use {index}")
    with capsys.disabled():
        print("\n" + "\n".join(report))
    assert wrong == [], "\n".join(wrong)
