"""The check-in schedule: made once per completed treatment, timed in the patient's zone,
sent by the outbox only while wanted, and moved along the non-response ladder."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
import zoneinfo
from typing import Any

import pytest
from django.core import mail, signing
from django.utils import timezone

from consultations.models import PhaseKind
from core.models import Notification, NotificationStatus
from core.notifications.services import outbox_drain
from followups.instruments import DEFAULT_TIME_POINTS, TimePoint
from followups.models import (
    CheckIn,
    CheckInLink,
    CheckInStatus,
    FollowUpSchedule,
    ScheduleStatus,
    ScheduleTemplate,
    StaffTask,
    TaskKind,
)
from followups.services import (
    checkin_for_link,
    checkin_page_save,
    checkin_submit,
    checkins_advance,
    schedule_set_preference,
    schedules_create_due,
)
from intake.models import CaseStatus
from tests.intake.factories import PatientFactory

from .factories import first_checkin, scheduled, treated

pytestmark = pytest.mark.django_db
S = CheckInStatus


def test_each_completed_treatment_gets_exactly_one_schedule(personas: Any) -> None:
    treated(personas.clinic_a)
    treated(personas.clinic_b)
    assert schedules_create_due() == 2
    assert schedules_create_due() == 0  # a second sweep finds nothing new
    assert FollowUpSchedule.objects.count() == 2
    schedule = FollowUpSchedule.objects.first()
    assert schedule is not None
    assert [c.time_point for c in schedule.check_ins.all()] == list(DEFAULT_TIME_POINTS)
    # An invitation and a reminder per check-in, queued in the outbox with their due times.
    assert Notification.objects.filter(kind="followups.checkin_invite").count() == 12
    assert Notification.objects.filter(kind="followups.checkin_reminder").count() == 12


def test_check_ins_fall_at_ten_in_the_morning_in_the_patients_home_zone(personas: Any) -> None:
    patient = PatientFactory.create(time_zone="Asia/Bangkok")
    schedule = scheduled(personas.clinic_a, patient=patient, treated_on=dt.date(2026, 3, 1))
    day2 = schedule.check_ins.get(time_point=TimePoint.DAY_2)
    local = day2.due_at.astimezone(zoneinfo.ZoneInfo("Asia/Bangkok"))
    assert (local.date(), local.hour, local.minute) == (dt.date(2026, 3, 3), 10, 0)
    year = schedule.check_ins.get(time_point=TimePoint.MONTH_12)
    assert year.due_at.astimezone(zoneinfo.ZoneInfo("Asia/Bangkok")).date() == dt.date(2027, 3, 1)


def test_a_harvest_visit_gets_only_the_side_effect_check_in(personas: Any) -> None:
    schedule = scheduled(personas.clinic_a, kind=PhaseKind.HARVEST)
    check_ins = list(schedule.check_ins.all())
    assert [(c.time_point, c.side_effects_only) for c in check_ins] == [(TimePoint.DAY_2, True)]


def test_staff_choose_the_time_points_per_condition_category(personas: Any) -> None:
    ScheduleTemplate.objects.create(category="cosmetic", time_points=["w1", "m3"])
    record = treated(personas.clinic_a)
    condition = record.case.condition
    assert condition is not None
    condition.category = "cosmetic"
    condition.save()
    schedules_create_due()
    points = list(FollowUpSchedule.objects.get().check_ins.values_list("time_point", flat=True))
    assert points == ["w1", "m3"]


def test_the_invitation_leaves_when_due_with_a_one_click_unsubscribe(personas: Any) -> None:
    schedule = scheduled(personas.clinic_a, treated_on=timezone.localdate() - dt.timedelta(days=3))
    assert outbox_drain().sent == 1  # only the 2-day invitation is due yet
    message = mail.outbox[0]
    assert message.to == [schedule.case.patient.email]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert "/follow-up/c/" in message.body


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "Your 2 days check-in: how are you?"),
        ("es", "Su control de 2 días: ¿cómo está?"),
    ],
)
def test_the_invitation_subject_names_its_time_point_in_the_patients_language(
    personas: Any, language: str, subject: str
) -> None:
    patient = PatientFactory.create(language=language)
    scheduled(
        personas.clinic_a, patient=patient, treated_on=timezone.localdate() - dt.timedelta(days=3)
    )
    assert outbox_drain().sent == 1
    assert mail.outbox[0].subject == subject


def test_the_stop_link_and_the_one_click_header_carry_the_same_token(
    personas: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed once per message, not once for the body and again, maybe a second later,
    for the header. (Here every signing is a second later than the one before.)"""
    seconds = itertools.count(int(time.time()))
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(next(seconds))
    )
    scheduled(personas.clinic_a, treated_on=timezone.localdate() - dt.timedelta(days=3))
    assert outbox_drain().sent == 1
    message = mail.outbox[0]
    header = re.fullmatch(r"<.*/unsubscribe/([^/]+)/>", message.extra_headers["List-Unsubscribe"])
    body = re.search(r"/stop/([^/\s]+)/", str(message.body))
    assert header is not None and body is not None
    assert header.group(1) == body.group(1)


def test_a_retried_invitation_leaves_one_live_link_the_one_it_delivered(
    personas: Any, settings: Any
) -> None:
    """
    GIVEN an invitation whose first try the patient's server deferred (a 451)
    WHEN it is sent again and delivered
    THEN the link the first try issued is revoked and the delivered one opens the check-in
    """
    settings.EMAIL_BACKEND = "tests.core.outbox_kinds.CodeBackend"
    patient = PatientFactory.create(email="later+451@patients.example")
    scheduled(
        personas.clinic_a, patient=patient, treated_on=timezone.localdate() - dt.timedelta(days=3)
    )
    assert outbox_drain().retried == 1 and mail.outbox == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invitation = Notification.objects.get(kind="followups.checkin_invite", attempts=1)
    Notification.objects.filter(pk=invitation.pk).update(due_at=timezone.now())
    assert outbox_drain().sent == 1
    links = CheckInLink.objects.filter(notification=invitation)
    assert links.count() == 2 and links.filter(revoked_at__isnull=True).count() == 1
    delivered = re.search(r"/follow-up/c/([^/\s]+)/", str(mail.outbox[0].body))
    assert delivered is not None
    assert checkin_for_link(delivered.group(1)) == links.get(revoked_at__isnull=True).check_in


def test_an_answered_check_in_gets_no_reminder(personas: Any) -> None:
    schedule = scheduled(personas.clinic_a, treated_on=timezone.localdate() - dt.timedelta(days=8))
    check_in = first_checkin(schedule)
    checkin_page_save(
        check_in=check_in, page=1, values={"pain_now": 3, "pgic": 3, "function_limit": 3}
    )
    checkin_submit(check_in=check_in)
    reminder = Notification.objects.get(
        kind="followups.checkin_reminder", about_id=str(check_in.pk)
    )
    assert reminder.status == NotificationStatus.CANCELLED
    outbox_drain()
    assert not any("reminder" in m.subject.lower() for m in mail.outbox)


def test_consent_withdrawn_with_invitations_queued_sends_none(personas: Any) -> None:
    schedule = scheduled(personas.clinic_a, treated_on=timezone.localdate() - dt.timedelta(days=40))
    case = schedule.case
    case.status = CaseStatus.WITHDRAWN
    case.save()
    report = outbox_drain()
    assert report.sent == 0 and mail.outbox == []
    checkins_advance()
    schedule.refresh_from_db()
    assert schedule.status == ScheduleStatus.ENDED
    assert not schedule.check_ins.filter(status__in=[S.SCHEDULED, S.INVITED]).exists()


def test_a_paused_patient_gets_nothing_until_they_resume(personas: Any) -> None:
    schedule = scheduled(personas.clinic_a, treated_on=timezone.localdate() - dt.timedelta(days=1))
    schedule_set_preference(schedule=schedule, status=ScheduleStatus.PAUSED, acting_user=None)
    # The 2-day invitation falls due while paused: asked at send time, it is not wanted.
    day2 = schedule.check_ins.get(time_point=TimePoint.DAY_2)
    Notification.objects.filter(about_id=str(day2.pk)).update(due_at=timezone.now())
    assert outbox_drain().sent == 0
    schedule_set_preference(schedule=schedule, status=ScheduleStatus.ACTIVE, acting_user=None)
    # Invitations still ahead are queued once (the ones that never left stay queued).
    week1 = schedule.check_ins.get(time_point=TimePoint.WEEK_1)
    assert (
        Notification.objects.filter(
            about_id=str(week1.pk),
            kind="followups.checkin_invite",
            status=NotificationStatus.QUEUED,
        ).count()
        == 1
    )


def test_the_non_response_ladder_reminds_then_calls_then_marks_missed(personas: Any) -> None:
    schedule = scheduled(personas.clinic_a, treated_on=timezone.localdate() - dt.timedelta(days=2))
    check_in = first_checkin(schedule)
    due = check_in.due_at
    checkins_advance(now=due + dt.timedelta(minutes=1))
    check_in.refresh_from_db()
    assert check_in.status == S.INVITED
    checkins_advance(now=due + dt.timedelta(days=10, minutes=1))
    assert StaffTask.objects.filter(check_in=check_in, kind=TaskKind.CALL_PATIENT).count() == 1
    checkins_advance(now=due + dt.timedelta(days=10, minutes=2))  # idempotent
    assert StaffTask.objects.filter(check_in=check_in).count() == 1
    checkins_advance(now=due + dt.timedelta(days=14, minutes=1))
    check_in.refresh_from_db()
    assert check_in.status == S.MISSED


def test_two_racing_schedulers_make_one_schedule(personas: Any) -> None:
    from followups.services import schedule_create

    record = treated(personas.clinic_a)
    assert schedule_create(treatment=record, acting_user=None) is not None
    assert schedule_create(treatment=record, acting_user=None) is None
    assert CheckIn.objects.count() == len(DEFAULT_TIME_POINTS)


def test_a_check_in_whose_invitation_bounced_shows_as_failed(personas: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.core.outbox_kinds.CodeBackend"
    patient = PatientFactory.create(email="gone+550@patients.example")
    schedule = scheduled(
        personas.clinic_a, patient=patient, treated_on=timezone.localdate() - dt.timedelta(days=3)
    )
    assert outbox_drain().failed == 1
    checkins_advance()
    day2 = schedule.check_ins.get(time_point=TimePoint.DAY_2)
    assert day2.status == S.FAILED
    assert Notification.objects.filter(kind="core.delivery_failed").count() == 1


def test_the_demo_has_a_check_in_due_now_and_a_publishable_outcome_card(
    client: Any, db: None
) -> None:
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    due = CheckIn.objects.filter(
        time_point="d2", due_at__lte=timezone.now(), status__in=[S.SCHEDULED, S.INVITED]
    )
    assert due.exists()
    first_due = due.first()
    assert first_due is not None
    invite = Notification.objects.get(kind="followups.checkin_invite", about_id=str(first_due.pk))
    assert invite.due_at <= timezone.now() and invite.status == NotificationStatus.QUEUED
    page = client.get("/clinics/clinica-regenera-guadalajara/").content.decode()
    assert "What patients reported after treatment" in page and 'role="img"' in page
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - idempotent
    assert (
        FollowUpSchedule.objects.filter(case__patient__email__startswith="outcome.demo").count()
        == 6
    )
