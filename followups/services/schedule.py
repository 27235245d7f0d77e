"""Making schedules, moving check-ins along the non-response ladder, honouring stops.

A completed treatment is found in the data (``consultations`` never calls up
here): beat runs ``schedules_create_due`` every minute, which gives each
completed treatment record without a schedule exactly one. Invitations and
reminders are outbox notifications due at their times; nothing is an ETA task.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinics.public_cache import public_pages_changed
from consultations.models import PhaseKind, RecordStatus, TreatmentRecord
from core.audit import audit_event_record
from core.models import Notification, NotificationStatus, User
from core.notifications.services import notifications_cancel_about, notify
from intake.models import Case, CaseStatus

from ..instruments import (
    DEFAULT_TIME_POINTS,
    INVITE_LOCAL_TIME,
    SIDE_EFFECT_TIME_POINTS,
    due_date,
)
from ..models import (
    OPEN_CHECKIN_STATUSES,
    CheckIn,
    CheckInStatus,
    FollowUpSchedule,
    ScheduleStatus,
    ScheduleTemplate,
    StaffTask,
    TaskKind,
)

log = logging.getLogger(__name__)

REMINDER_AFTER = dt.timedelta(days=3)
CALL_TASK_AFTER = dt.timedelta(days=10)  # the reminder, then 7 more days
MISSED_AFTER = dt.timedelta(days=14)
INVITE_KIND = "followups.checkin_invite"
REMINDER_KIND = "followups.checkin_reminder"
CHECKIN_KINDS = (INVITE_KIND, REMINDER_KIND)


def _home_zone(case: Case) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(str(case.patient.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def checkin_due_at(treated_on: dt.date, time_point: str, zone: dt.tzinfo) -> dt.datetime:
    """10:00 in the patient's home zone on the day the time point falls."""
    local = dt.datetime.combine(due_date(treated_on, time_point), INVITE_LOCAL_TIME)
    return local.replace(tzinfo=zone)


def time_points_for(case: Case) -> list[str]:
    category = case.condition.category if case.condition is not None else ""
    template = ScheduleTemplate.objects.filter(category=category).first()
    return (
        list(template.time_points)
        if template and template.time_points
        else list(DEFAULT_TIME_POINTS)
    )


def _queue_checkin_mail(check_in: CheckIn) -> None:
    notify(
        kind=INVITE_KIND,
        dedupe_key=f"{INVITE_KIND}:{check_in.pk}",
        about=check_in,
        due_at=check_in.due_at,
    )
    notify(
        kind=REMINDER_KIND,
        dedupe_key=f"{REMINDER_KIND}:{check_in.pk}",
        about=check_in,
        due_at=check_in.due_at + REMINDER_AFTER,
    )


def schedule_create(
    *, treatment: TreatmentRecord, acting_user: User | None
) -> FollowUpSchedule | None:
    """Give one completed treatment its schedule, check-ins and notifications, once.

    A harvest visit gets only the side-effect check-in; the treatment gets every
    time point of its condition category. Returns None when the treatment has a
    schedule already (another scheduler got there first). Side effects: audit row.
    """
    if treatment.status != RecordStatus.COMPLETED:
        return None
    case = treatment.case
    side_effects_only = treatment.kind == PhaseKind.HARVEST
    points = list(SIDE_EFFECT_TIME_POINTS) if side_effects_only else time_points_for(case)
    zone = _home_zone(case)
    try:
        with transaction.atomic():
            schedule = FollowUpSchedule.objects.create(
                treatment=treatment, case=case, clinic_id=treatment.clinic_id
            )
            check_ins = CheckIn.objects.bulk_create(
                CheckIn(
                    schedule=schedule,
                    time_point=point,
                    side_effects_only=side_effects_only,
                    due_at=checkin_due_at(treatment.treated_on, point, zone),
                )
                for point in points
            )
            for check_in in check_ins:
                _queue_checkin_mail(check_in)
            public_pages_changed()  # new check-ins come due on the profile
            audit_event_record(
                action="followups.schedule_created",
                acting_user=acting_user,
                target=schedule,
                data={"treatment": treatment.pk, "case": case.reference, "time_points": points},
            )
    except IntegrityError:
        return None
    return schedule


def schedules_create_due(*, limit: int = 500) -> int:
    """Beat, every minute: a schedule for each completed treatment that has none."""
    pending = (
        TreatmentRecord.objects.completed()
        .filter(followup_schedule__isnull=True)
        .select_related("case__patient", "case__condition")
        .order_by("completed_at", "pk")[:limit]
    )
    made = 0
    for treatment in pending:
        if schedule_create(treatment=treatment, acting_user=None) is not None:
            made += 1
    return made


@dataclass
class LadderResult:
    invited: int = 0
    call_tasks: int = 0
    missed: int = 0
    ended: int = 0
    failed: int = 0


ENDED_CASE_STATUSES = (CaseStatus.WITHDRAWN, CaseStatus.CLOSED)


def checkins_advance(*, now: dt.datetime | None = None) -> LadderResult:
    """Beat, every few minutes: the non-response ladder, in the database.

    Due -> invited (its invitation is the outbox's, due at the same time);
    unanswered 10 days -> a staff call task; 14 days -> missed. Schedules of
    withdrawn cases end, cancelling all that is still due. Idempotent.
    """
    now = now or timezone.now()
    result = LadderResult()
    with transaction.atomic():
        for schedule in (
            FollowUpSchedule.objects.filter(case__status__in=ENDED_CASE_STATUSES)
            .exclude(status=ScheduleStatus.ENDED)
            .select_for_update(skip_locked=True)
        ):
            _schedule_end(schedule, reason="case_" + schedule.case.status, acting_user=None)
            result.ended += 1
        result.invited = CheckIn.objects.filter(
            status=CheckInStatus.SCHEDULED,
            due_at__lte=now,
            schedule__status=ScheduleStatus.ACTIVE,
        ).update(status=CheckInStatus.INVITED, invited_at=now, status_changed_at=now)
        for check_in in CheckIn.objects.filter(
            status=CheckInStatus.INVITED,
            due_at__lte=now - CALL_TASK_AFTER,
            schedule__status=ScheduleStatus.ACTIVE,
        ).exclude(tasks__kind=TaskKind.CALL_PATIENT):
            StaffTask.objects.create(
                check_in=check_in,
                kind=TaskKind.CALL_PATIENT,
                due_at=now + dt.timedelta(days=1),
                reasons=["no_answer"],
            )
            result.call_tasks += 1
        # An invitation the mail server refused for good: the check-in shows as failed
        # (staff were alerted by the outbox and can resend from the admin).
        failed_ids = Notification.objects.filter(
            kind=INVITE_KIND,
            status=NotificationStatus.FAILED,
            about_type=ContentType.objects.get_for_model(CheckIn),
        ).values_list("about_id", flat=True)
        result.failed = CheckIn.objects.filter(
            status__in=OPEN_CHECKIN_STATUSES,
            pk__in=[int(pk) for pk in failed_ids],
        ).update(status=CheckInStatus.FAILED, status_changed_at=now)
        missed = CheckIn.objects.filter(
            status=CheckInStatus.INVITED, due_at__lte=now - MISSED_AFTER
        )
        for check_in in missed:
            notifications_cancel_about(about=check_in, kinds=CHECKIN_KINDS)
        result.missed = missed.update(status=CheckInStatus.MISSED, status_changed_at=now)
    return result


def _schedule_end(schedule: FollowUpSchedule, *, reason: str, acting_user: User | None) -> None:
    old = schedule.transition_to(ScheduleStatus.ENDED)
    schedule.status_changed_at = timezone.now()
    schedule.save(update_fields=["status", "status_changed_at"])
    _cancel_open_checkins(schedule)
    audit_event_record(
        action="followups.schedule_ended",
        acting_user=acting_user,
        target=schedule,
        data={"from": old, "reason": reason},
    )


def _cancel_open_checkins(schedule: FollowUpSchedule) -> int:
    open_ones = list(schedule.check_ins.filter(status__in=OPEN_CHECKIN_STATUSES))
    for check_in in open_ones:
        notifications_cancel_about(about=check_in, kinds=CHECKIN_KINDS)
    return CheckIn.objects.filter(pk__in=[c.pk for c in open_ones]).update(
        status=CheckInStatus.CANCELLED, status_changed_at=timezone.now()
    )


@transaction.atomic
def schedule_set_preference(
    *, schedule: FollowUpSchedule, status: str, acting_user: User | None
) -> FollowUpSchedule:
    """The patient pauses, stops or resumes follow-ups (from any e-mail); honoured at once.

    Pausing or stopping leaves the check-ins as they are but every invitation
    and reminder asks at send time, so nothing more is sent; resuming lets the
    ones still due go out. Side effects: audit row.
    """
    locked = FollowUpSchedule.objects.select_for_update().get(pk=schedule.pk)
    if locked.status == status:
        return locked
    old = locked.transition_to(status)
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    if status == ScheduleStatus.ACTIVE:
        _requeue_after_pause(locked)
    audit_event_record(
        action="followups.preference_changed",
        acting_user=acting_user,
        target=locked,
        data={"from": old, "to": status},
    )
    return locked


def _requeue_after_pause(schedule: FollowUpSchedule) -> None:
    """Invitations still ahead go out again; what fell due during the pause stays missed
    by the ladder rather than arriving late and out of context."""
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    check_ins = list(
        schedule.check_ins.filter(status=CheckInStatus.SCHEDULED, due_at__gt=timezone.now())
    )
    # A message that is still queued was never cancelled: it simply goes out on time.
    pending = set(
        Notification.objects.filter(
            about_type=ContentType.objects.get_for_model(CheckIn),
            about_id__in=[str(c.pk) for c in check_ins],
            kind__in=CHECKIN_KINDS,
            status__in=(NotificationStatus.QUEUED, NotificationStatus.SENDING),
        ).values_list("about_id", "kind")
    )
    for check_in in check_ins:
        for kind, due in (
            (INVITE_KIND, check_in.due_at),
            (REMINDER_KIND, check_in.due_at + REMINDER_AFTER),
        ):
            if (str(check_in.pk), kind) in pending:
                continue
            notify(
                kind=kind,
                dedupe_key=f"{kind}:{check_in.pk}:resumed:{stamp}",
                about=check_in,
                due_at=due,
            )
