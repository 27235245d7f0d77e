"""seed_load: a large data set written in bulk, in proportion to --cases, once per database."""

from __future__ import annotations

import datetime as dt
import itertools
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone

from clinics.models import Clinic, Offering
from consultations.models import ACTIVE_STATUSES, Booking, ConsultationType
from consultations.slots import slot_grid
from core.models import Notification
from followups.load.calendar import BUSY_SLUG
from followups.models import CheckIn, CheckInStatus
from intake.models import Case, CaseDocument

pytestmark = pytest.mark.django_db
CASES = 200


@pytest.fixture
def loaded() -> str:
    out = StringIO()
    call_command("seed_load", cases=CASES, stdout=out)
    return out.getvalue()


def test_it_makes_every_table_in_proportion_to_the_cases(loaded: str) -> None:
    assert "Load data set ready: 200 cases" in loaded
    assert Case.objects.count() == CASES
    assert CaseDocument.objects.filter(case__isnull=False).count() > CASES
    assert Clinic.objects.filter(slug__startswith="load-clinic-").count() == 10  # the minimum
    assert Offering.objects.filter(clinic__slug__startswith="load-").count() == 50
    assert Booking.objects.count() >= CASES // 2  # the busy month alone is ~200
    assert CheckIn.objects.count() == 6 * (CASES // 2)
    assert Notification.objects.exclude(about_id="").count() >= 2 * CheckIn.objects.count()


def test_check_ins_and_their_outbox_rows_come_in_every_state(loaded: str) -> None:
    states = set(CheckIn.objects.values_list("status", flat=True))
    assert {
        CheckInStatus.SCHEDULED,
        CheckInStatus.INVITED,
        CheckInStatus.ANSWERED,
        CheckInStatus.MISSED,
    } <= states
    answered = CheckIn.objects.filter(status=CheckInStatus.ANSWERED)
    assert answered.exists() and not answered.filter(answer__isnull=True).exists()
    outbox = set(Notification.objects.values_list("status", flat=True))
    assert {"queued", "sent", "cancelled"} <= outbox
    assert not Notification.objects.filter(status="queued", due_at__lte=timezone.now()).exists()


def test_no_host_has_two_active_consultations_at_once(loaded: str) -> None:
    active = list(
        Booking.objects.filter(status__in=ACTIVE_STATUSES)
        .order_by("host_id", "blocked_start")
        .values_list("host_id", "blocked_start", "blocked_end")
    )
    for (host, _start, end), (next_host, next_start, _end) in itertools.pairwise(active):
        assert host != next_host or next_start >= end


def test_the_busy_clinic_has_a_month_mostly_booked(loaded: str) -> None:
    ctype = ConsultationType.objects.select_related("host").get(host__clinic__slug=BUSY_SLUG)
    start = timezone.now()
    grid = slot_grid(
        consultation_type=ctype, window_start=start, window_end=start + dt.timedelta(days=30)
    )
    booked = sum(1 for slot in grid if slot.blocked == "booked")
    assert len(grid) > 500 and booked > len(grid) // 2


def test_cases_come_in_every_triage_state(loaded: str) -> None:
    counts = dict(Case.objects.values_list("status").annotate(n=Count("pk")).order_by())
    assert len(counts) == 8
    assert not Case.objects.filter(status="draft", submitted_at__isnull=False).exists()


def test_a_second_run_on_the_same_database_is_refused_clearly(loaded: str) -> None:
    with pytest.raises(CommandError, match="already holds a load data set"):
        call_command("seed_load", cases=CASES, stdout=StringIO())
