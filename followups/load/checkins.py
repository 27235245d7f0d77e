"""Follow-up schedules, check-ins in every state, answers, adverse events, call tasks
and their outbox rows.

Each completed treatment gets its schedule and its six check-ins, due at 10:00 in
the patient's zone (``followups.services.schedule``). A check-in's state follows
from its due time as the ladder would have left it; its invitation and reminder
are outbox rows sent, queued, cancelled or failed to match.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Sequence

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from consultations.models import TreatmentRecord
from core.models import Notification, NotificationStatus
from followups.instruments import DEFAULT_TIME_POINTS
from followups.models import (
    AdverseEvent,
    CheckIn,
    CheckInAnswer,
    CheckInStatus,
    EventOutcome,
    EventStatus,
    FollowUpSchedule,
    Relatedness,
    ScheduleStatus,
    StaffTask,
    TaskKind,
    TaskStatus,
)
from followups.services.schedule import (
    CALL_TASK_AFTER,
    INVITE_KIND,
    MISSED_AFTER,
    REMINDER_AFTER,
    REMINDER_KIND,
    checkin_due_at,
)

from .bulk import Writer
from .cases import LoadedCase

C = CheckInStatus
N = NotificationStatus
CHUNK = 2_000  # schedules per write: six check-ins and twelve outbox rows each
EVENT_SHARE = 0.02  # answers with a red flag: an adverse event each
MESSAGE_DOMAIN = "load.concierge.example"


def load_checkins(
    writer: Writer,
    rng: random.Random,
    *,
    treatments: Sequence[TreatmentRecord],
    cases: dict[int, LoadedCase],
) -> None:
    """One schedule per treatment, with check-ins, answers and outbox rows."""
    checkin_type = ContentType.objects.get_for_model(CheckIn)
    now = timezone.now()
    for first in range(0, len(treatments), CHUNK):
        schedules: list[FollowUpSchedule] = []
        check_ins: list[CheckIn] = []
        answers: list[CheckInAnswer] = []
        events: list[AdverseEvent] = []
        tasks: list[StaffTask] = []
        mail: list[Notification] = []
        for treatment in treatments[first : first + CHUNK]:
            case = cases[int(treatment.case_id)]
            completed = treatment.completed_at or timezone.now()  # always set by the loader
            ended = case.status == "closed"
            status = (
                ScheduleStatus.ENDED
                if ended
                else rng.choices(
                    [ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED, ScheduleStatus.STOPPED],
                    [95, 3, 2],
                )[0]
            )
            schedule = writer.assign(
                FollowUpSchedule(
                    treatment_id=treatment.pk,
                    case_id=case.pk,
                    clinic_id=treatment.clinic_id,
                    status=status,
                    created_at=completed,
                    status_changed_at=completed,
                )
            )
            schedules.append(schedule)
            zone = zoneinfo.ZoneInfo(case.zone)
            for point in DEFAULT_TIME_POINTS:
                due = checkin_due_at(treatment.treated_on, point, zone)
                check_in = writer.assign(
                    CheckIn(
                        schedule_id=schedule.pk,
                        time_point=point,
                        due_at=due,
                        status=_state(rng, due, now, ended=ended),
                    )
                )
                _stamp(rng, check_in, due)
                check_ins.append(check_in)
                if check_in.status == C.ANSWERED:
                    answers.append(_answer(writer, rng, check_in))
                    if rng.random() < EVENT_SHARE:
                        events.append(_event(writer, rng, check_in, treatment.clinic_id, now))
                elif check_in.status == C.MISSED:
                    tasks.append(_call_task(writer, rng, check_in))
                mail.extend(_outbox(writer, check_in, checkin_type, now, completed))
        writer.insert(FollowUpSchedule, schedules)
        writer.insert(CheckIn, check_ins)
        writer.insert(CheckInAnswer, answers)
        writer.insert(AdverseEvent, events)
        writer.insert(StaffTask, tasks)
        writer.insert(Notification, mail)


def _state(rng: random.Random, due: dt.datetime, now: dt.datetime, *, ended: bool) -> str:
    if due > now:
        return C.CANCELLED if ended else C.SCHEDULED
    if ended:
        return rng.choice([C.ANSWERED, C.CANCELLED])
    if now - due < MISSED_AFTER:
        return rng.choice([C.INVITED, C.ANSWERED])
    return rng.choices([C.ANSWERED, C.MISSED, C.FAILED, C.CANCELLED], [60, 34, 2, 4])[0]


def _stamp(rng: random.Random, check_in: CheckIn, due: dt.datetime) -> None:
    if check_in.status in (C.INVITED, C.ANSWERED, C.MISSED, C.FAILED):
        check_in.invited_at = due
        check_in.status_changed_at = due
    if check_in.status == C.ANSWERED:
        check_in.answered_at = due + dt.timedelta(hours=rng.randint(1, 120))
        check_in.started_at = check_in.answered_at - dt.timedelta(minutes=3)
        check_in.status_changed_at = check_in.answered_at
    elif check_in.status == C.MISSED:
        check_in.status_changed_at = due + MISSED_AFTER


def _answer(writer: Writer, rng: random.Random, check_in: CheckIn) -> CheckInAnswer:
    pain = rng.randint(1, 8)
    answered = check_in.answered_at or check_in.due_at
    return writer.assign(
        CheckInAnswer(
            check_in_id=check_in.pk,
            pain_now=pain,
            pgic=rng.randint(1, 6),
            function_limit=max(0, pain - rng.randint(0, 2)),
            side_effects={},
            still_present=[],
            pages_saved=3,
            updated_at=answered,
            submitted_at=answered,
        )
    )


def _event(
    writer: Writer, rng: random.Random, check_in: CheckIn, clinic_id: int, now: dt.datetime
) -> AdverseEvent:
    """A red flag in an answer: graded and closed by staff if old enough, else still open."""
    reported = check_in.answered_at or check_in.due_at
    event = AdverseEvent(
        check_in_id=check_in.pk,
        schedule_id=check_in.schedule_id,
        clinic_id=clinic_id,
        reasons=[rng.choice(["fever_over_48h", "spreading_redness", "pus_or_discharge"])],
        reported_at=reported,
        clinic_rating_due_at=reported + dt.timedelta(days=3),
    )
    if now - reported > dt.timedelta(days=14):
        event.status = EventStatus.CLOSED
        event.ctcae_grade = rng.choice([1, 1, 2, 2, 3])
        event.relatedness = rng.choice([Relatedness.PROBABLE, Relatedness.POSSIBLE])
        event.outcome = EventOutcome.RECOVERED
        event.action_taken = "Antibiotics prescribed by the patient's own doctor."
        event.graded_at = reported + dt.timedelta(hours=6)
        event.closed_at = reported + dt.timedelta(days=10)
        event.clinic_relatedness = event.relatedness
        event.clinic_rated_at = reported + dt.timedelta(days=2)
    return writer.assign(event)


def _call_task(writer: Writer, rng: random.Random, check_in: CheckIn) -> StaffTask:
    """A missed check-in: staff were asked to call; most calls are done."""
    due = check_in.due_at + CALL_TASK_AFTER + dt.timedelta(days=1)
    done = rng.random() < 0.8
    return writer.assign(
        StaffTask(
            check_in_id=check_in.pk,
            kind=TaskKind.CALL_PATIENT,
            reasons=["no_answer"],
            status=TaskStatus.DONE if done else TaskStatus.OPEN,
            created_at=check_in.due_at + CALL_TASK_AFTER,
            due_at=due,
            done_at=due if done else None,
            note="Left a voicemail." if done else "",
        )
    )


def _outbox(
    writer: Writer,
    check_in: CheckIn,
    about_type: ContentType,
    now: dt.datetime,
    created: dt.datetime,
) -> list[Notification]:
    """The invitation and the reminder, in the state the outbox would have left them."""
    status = check_in.status
    due = check_in.due_at
    invite = (
        N.QUEUED
        if status == C.SCHEDULED
        else (N.FAILED if status == C.FAILED else N.CANCELLED if due > now else N.SENT)
    )
    reminder_due = due + REMINDER_AFTER
    if status in (C.SCHEDULED, C.INVITED) and reminder_due > now:
        reminder = N.QUEUED
    elif (
        status == C.MISSED
        or (status == C.INVITED and reminder_due <= now)
        or (status == C.ANSWERED and check_in.answered_at and check_in.answered_at > reminder_due)
    ):
        reminder = N.SENT
    else:
        reminder = N.CANCELLED
    rows = []
    for kind, label, when, state in (
        (INVITE_KIND, "invite", due, invite),
        (REMINDER_KIND, "reminder", reminder_due, reminder),
    ):
        rows.append(
            writer.assign(
                Notification(
                    kind=kind,
                    status=state,
                    about_type_id=about_type.pk,
                    about_id=str(check_in.pk),
                    dedupe_key=f"{kind}:{check_in.pk}",
                    due_at=when,
                    attempts=0 if state in (N.QUEUED, N.CANCELLED) else 1,
                    last_error="550 5.1.1 mailbox unavailable" if state == N.FAILED else "",
                    message_id=f"<{label}.{check_in.pk}@{MESSAGE_DOMAIN}>",
                    created_at=created,
                    status_changed_at=min(when, now),
                    sent_at=when + dt.timedelta(minutes=1) if state == N.SENT else None,
                )
            )
        )
    return rows
