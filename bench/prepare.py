"""Setting up and tidying one scenario on a load database: ``python -m bench.prepare ACTION``.

Run by the bench in a subprocess with ``DATABASE_URL`` pointing at the data set of
the scale being measured (the pytest process itself never opens those databases
through the ORM). Prints one JSON object. Everything made here is named ``bench-``
and removed again by the matching ``*-cleanup`` action, so a data set serves any
number of runs.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import date, timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinics.models import Clinic  # noqa: E402
from consultations.models import ConsultationType  # noqa: E402
from core.demo import ensure_user  # noqa: E402
from core.models import Notification, NotificationStatus, Role  # noqa: E402
from followups.load.calendar import BUSY_SLUG  # noqa: E402
from followups.models import CheckIn, CheckInLink, CheckInStatus, ScheduleStatus  # noqa: E402
from followups.services.schedule import INVITE_KIND  # noqa: E402
from intake.models import Case, CaseStatus, Patient  # noqa: E402
from intake.selectors import SESSION_DRAFT  # noqa: E402

STAFF_EMAIL = "bench-staff@concierge.example"
DRAFT_EMAIL = "bench-draft-{n}@patients.example"


def targets() -> dict[str, Any]:
    """What the page scenarios load: the richest public profile, a busy calendar, a case."""
    profile = (
        Clinic.objects.public()
        .filter(slug__startswith="load-clinic-")
        .annotate(
            n=Count("offerings", filter=Q(offerings__status="live"), distinct=True)
            + Count("reviews", distinct=True)
        )
        .order_by("-n", "pk")
        .values_list("slug", flat=True)
        .first()
    )
    busy_type = (
        ConsultationType.objects.filter(host__clinic__slug=BUSY_SLUG)
        .values_list("pk", flat=True)
        .first()
    )
    case = (
        Case.objects.filter(status=CaseStatus.IN_REVIEW, documents__isnull=False)
        .order_by("submitted_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return {"profile_slug": profile, "busy_type_id": busy_type, "case_id": case}


def staff() -> dict[str, Any]:
    """A concierge clinician with a fresh password (the bench signs in with it)."""
    user = ensure_user(
        STAFF_EMAIL,
        full_name="Bench Concierge",
        role=Role.CONCIERGE,
        is_staff=True,
        time_zone="Europe/Madrid",
    )
    ensure_user(STAFF_EMAIL, full_name="Bench Concierge", role=Role.CLINICIAN, is_staff=True)
    password = secrets.token_urlsafe(18)
    user.set_password(password)
    user.save(update_fields=["password"])
    return {"email": STAFF_EMAIL, "password": password}


def drafts(count: int) -> dict[str, Any]:
    """``count`` intake drafts, each in a browser session of its own (session cookies)."""
    drafts_cleanup()
    keys = []
    with transaction.atomic():
        for n in range(count):
            patient = Patient.objects.create(
                full_name=f"Bench Draft {n}",
                email=DRAFT_EMAIL.format(n=n),
                date_of_birth=date(1960, 1, 1),
                sex="female",
                country="CA",
            )
            case = Case.objects.create(
                patient=patient, status=CaseStatus.DRAFT, draft_step="records"
            )
            session = SessionStore()
            session[SESSION_DRAFT] = case.pk
            session.create()
            keys.append(session.session_key)
    return {"sessions": keys}


def drafts_cleanup() -> dict[str, Any]:
    cases = Case.objects.filter(patient__email__startswith="bench-draft-")
    documents = 0
    for case in cases:
        documents += case.documents.count()
        case.documents.all().delete()
    removed, _ = cases.delete()
    Patient.objects.filter(email__startswith="bench-draft-").delete()
    return {"removed": removed, "documents": documents}


def dispatch_setup(count: int, run: str) -> dict[str, Any]:
    """``count`` check-in invitations due now, about open check-ins of active schedules.

    New outbox rows (``bench:<run>:<n>``) about check-ins already in the data set: the
    data set's own rows stay as they were. Fewer open check-ins than ``count`` (a small
    data set) are invited more than once, each by its own row.

    The outbox and link tables are vacuumed first. Each run leaves about 32,000 dead row
    versions there (inserted, claimed, sent, deleted); autovacuum clears them in any live
    database, but it is off on these machines, so without this every run would drain
    through the leftovers of all the runs before it.
    """
    vacuum(Notification, CheckInLink)
    open_ids = list(
        CheckIn.objects.filter(
            status=CheckInStatus.SCHEDULED,
            schedule__status=ScheduleStatus.ACTIVE,
            schedule__case__status=CaseStatus.MATCHED,
        )
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:count]
    )
    if not open_ids:
        raise SystemExit("no open check-in to invite: is the load data set in place?")
    about = ContentType.objects.get_for_model(CheckIn)
    now = timezone.now()
    rows = [
        Notification(
            kind=INVITE_KIND,
            about_type=about,
            about_id=str(open_ids[n % len(open_ids)]),
            dedupe_key=f"bench:{run}:{n}",
            due_at=now - timedelta(seconds=1),
            message_id=f"<bench.{run}.{n}@bench.concierge.example>",
        )
        for n in range(count)
    ]
    Notification.objects.bulk_create(rows, batch_size=2000)  # one transaction
    # The rows are visible to the dispatcher from this instant, not from ``due_at`` (taken
    # before 10,000 rows were built and inserted): the drain is timed from here.
    ready_at = timezone.now()
    pks = [row.pk for row in rows]  # PostgreSQL returns them
    return {
        "ready_at": ready_at.isoformat(),
        "message_ids": [row.message_id for row in rows],
        "distinct": len(open_ids),
        "first_id": min(pks),
        "last_id": max(pks),
    }


def vacuum(*models: Any) -> None:
    """``VACUUM (ANALYZE)`` the tables of ``models`` (outside any transaction)."""
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")


def dispatch_cleanup(run: str) -> dict[str, Any]:
    rows = Notification.objects.filter(dedupe_key__startswith=f"bench:{run}:")
    links = CheckInLink.objects.filter(notification__in=rows).delete()[0]
    statuses = dict(rows.values_list("status").annotate(n=Count("pk")).order_by())
    removed = rows.delete()[0]
    alerts = Notification.objects.filter(
        dedupe_key__startswith="core.delivery_failed:", status=NotificationStatus.QUEUED
    ).count()
    return {"removed": removed, "links": links, "statuses": statuses, "alerts_queued": alerts}


ACTIONS = {
    "targets": lambda args: targets(),
    "staff": lambda args: staff(),
    "drafts": lambda args: drafts(int(args[0])),
    "drafts-cleanup": lambda args: drafts_cleanup(),
    "dispatch-setup": lambda args: dispatch_setup(int(args[0]), args[1]),
    "dispatch-cleanup": lambda args: dispatch_cleanup(args[0]),
}


if __name__ == "__main__":
    action, *rest = sys.argv[1:]
    print(json.dumps(ACTIONS[action](rest)))
