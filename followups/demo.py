"""Follow-up demo data: a check-in due now, and a cohort whose outcomes a clinic can publish.

Idempotent: a second run adds nothing. Called by ``seed_demo`` (followups is the top app).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinics.models import Clinic, Offering
from consultations.models import PhaseKind, RecordStatus, TreatmentRecord
from core.models import Notification, NotificationStatus
from intake.models import Case, CaseStatus, Patient, PrivacyConsent

from .models import CheckIn, CheckInStatus
from .services import checkin_link_issue, checkin_page_save, checkin_submit, schedules_create_due
from .services.schedule import INVITE_KIND

COHORT_CLINIC = "clinica-regenera-guadalajara"
# (baseline pain, [(time point, pain now, PGIC)]): six patients treated 100 days ago, so the
# 2-day to 3-month check-ins have come round; two never answered the 3-month one.
COHORT: list[tuple[int, list[tuple[str, int, int]]]] = [
    (7, [("d2", 6, 4), ("w1", 6, 4), ("m1", 5, 3), ("m3", 3, 2)]),
    (8, [("d2", 7, 4), ("w1", 7, 4), ("m1", 6, 3), ("m3", 5, 3)]),
    (6, [("d2", 6, 4), ("w1", 5, 4), ("m1", 5, 4), ("m3", 5, 4)]),
    (9, [("d2", 8, 4), ("w1", 8, 4), ("m1", 6, 3), ("m3", 4, 2)]),
    (5, [("d2", 5, 4), ("w1", 5, 4), ("m1", 4, 3)]),
    (7, [("d2", 7, 4), ("w1", 7, 5)]),
]
NAMES = ["Ana Ruiz", "Bill Carter", "Chloé Martin", "Dev Patel", "Elena Rossi", "Femi Okafor"]


@dataclass
class DemoResult:
    schedules: int = 0
    cohort: int = 0
    checkin_link: str = ""


@transaction.atomic
def seed_followups() -> DemoResult:
    result = DemoResult(cohort=_seed_cohort())
    result.schedules = schedules_create_due()
    due = _due_now_checkin()
    if due is not None:
        raw = checkin_link_issue(check_in=due, notification=None)
        result.checkin_link = settings.SITE_URL + reverse("followups:start", args=[raw])
    return result


def _due_now_checkin() -> CheckIn | None:
    """The demo treatment of two days ago: its side-effect check-in is made due now, so
    ``make run`` e-mails it within a minute (outside the demo it comes at 10:00 local)."""
    check_in = (
        CheckIn.objects.filter(
            time_point="d2",
            status__in=(CheckInStatus.SCHEDULED, CheckInStatus.INVITED),
            schedule__treatment__treated_on__gte=timezone.localdate() - dt.timedelta(days=3),
        )
        .order_by("-schedule__treatment__treated_on")
        .first()
    )
    if check_in is None:
        return None
    now = timezone.now()
    if check_in.due_at > now:
        CheckIn.objects.filter(pk=check_in.pk).update(due_at=now)
        Notification.objects.filter(
            kind=INVITE_KIND,
            status=NotificationStatus.QUEUED,
            about_type=ContentType.objects.get_for_model(CheckIn),
            about_id=str(check_in.pk),
        ).update(due_at=now)
    return check_in


def _seed_cohort() -> int:
    clinic = Clinic.objects.public().filter(slug=COHORT_CLINIC).first()
    offering = (
        Offering.objects.filter(clinic=clinic, route="joint").order_by("pk").first()
        if clinic
        else None
    )
    if clinic is None or offering is None:
        return 0
    condition = offering.conditions.order_by("pk").first()
    treated_on = timezone.localdate() - dt.timedelta(days=100)
    made = 0
    for index, (baseline, answers) in enumerate(COHORT):
        email = f"outcome.demo{index + 1}@patients.example"
        if Patient.objects.filter(email=email).exists():
            continue
        patient = Patient.objects.create(
            full_name=NAMES[index],
            email=email,
            date_of_birth=dt.date(1960 + index, 3, 1),
            sex="female" if index % 2 == 0 else "male",
            country="US",
            time_zone="America/Chicago",
            language="en",
            spoken_languages=["en"],
        )
        case = Case.objects.create(
            patient=patient,
            condition=condition,
            status=CaseStatus.MATCHED,
            submitted_at=timezone.now() - dt.timedelta(days=160),
            severity=baseline,
            budget_min_usd=3000,
            budget_max_usd=12000,
            countries_accepted=["MX"],
        )
        PrivacyConsent.objects.create(
            case=case,
            notice_version="2026-11",
            share_with_chosen_clinics=True,
            ip_address="203.0.113.10",
        )
        TreatmentRecord.objects.create(
            case=case,
            clinic=clinic,
            offering=offering,
            kind=PhaseKind.TREATMENT,
            status=RecordStatus.COMPLETED,
            completed_at=timezone.now(),
            treated_on=treated_on,
            cell_count_millions=Decimal("50"),
            route=offering.route,
            site="right knee",
            cell_lot=f"RGD-2026-{index + 1:04d}",
        )
        schedules_create_due()
        for point, pain, pgic in answers:
            check_in = CheckIn.objects.get(schedule__case=case, time_point=point)
            checkin_page_save(
                check_in=check_in,
                page=1,
                values={"pain_now": pain, "pgic": pgic, "function_limit": max(0, pain - 1)},
            )
            checkin_submit(check_in=check_in)
        made += 1
    return made
