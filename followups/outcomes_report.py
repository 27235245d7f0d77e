"""Outcomes from the database: one query for the answers, one for the adverse events.

Who counts: every full check-in (not a harvest's side-effect check-in) whose
time point has been reached, answered or not, except cases whose patient
withdrew consent (their answers may no longer be used at all).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from consultations.models import PhaseKind
from intake.models import CaseStatus

from .instruments import DEFAULT_TIME_POINTS, TimePoint
from .models import AdverseEvent, CheckIn, CheckInStatus
from .outcomes import OutcomeSummary, PatientOutcome, summarise

GroupKey = tuple[int, int | None, int]  # clinic, condition, offering


@dataclass
class OutcomeRow:
    clinic_id: int
    clinic_name: str
    condition_name: str
    offering_title: str
    time_point: str
    summary: OutcomeSummary

    @property
    def time_point_label(self) -> str:
        return str(TimePoint(self.time_point).label)


def outcome_rows(
    *, clinic_id: int | None = None, now: dt.datetime | None = None
) -> list[OutcomeRow]:
    """Every clinic x condition x offering x time point reached, for any n (staff)."""
    now = now or timezone.now()
    check_ins = CheckIn.objects.filter(
        side_effects_only=False,
        due_at__lte=now,
        schedule__treatment__kind=PhaseKind.TREATMENT,
    ).exclude(schedule__case__status=CaseStatus.WITHDRAWN)
    events = AdverseEvent.objects.exclude(check_in__schedule__case__status=CaseStatus.WITHDRAWN)
    if clinic_id is not None:
        check_ins = check_ins.filter(schedule__clinic_id=clinic_id)
        events = events.filter(clinic_id=clinic_id)
    answers = check_ins.values_list(
        "schedule__clinic_id",
        "schedule__clinic__name",
        "schedule__case__condition_id",
        "schedule__case__condition__name",
        "schedule__treatment__offering_id",
        "schedule__treatment__offering__title",
        "time_point",
        "status",
        "schedule__case__severity",
        "answer__pain_now",
        "answer__pgic",
    )
    fetched = list(answers)
    if not fetched:
        return []  # nothing reached yet: spare the second query
    labels: dict[GroupKey, tuple[str, str, str]] = {}
    cohorts: dict[tuple[GroupKey, str], list[PatientOutcome]] = defaultdict(list)
    for (
        clinic,
        clinic_name,
        condition,
        condition_name,
        offering,
        offering_title,
        point,
        status,
        baseline,
        pain,
        pgic,
    ) in fetched:
        key = (clinic, condition, offering)
        labels[key] = (clinic_name, condition_name or "", offering_title)
        cohorts[(key, point)].append(
            PatientOutcome(
                baseline_pain=baseline,
                answered=status == CheckInStatus.ANSWERED,
                pain_now=pain,
                pgic=pgic,
            )
        )
    grades: dict[GroupKey, list[int]] = defaultdict(list)
    unrated: dict[int, int] = defaultdict(int)
    for clinic, condition, offering, grade, rated_at, due_at in events.values_list(
        "clinic_id",
        "check_in__schedule__case__condition_id",
        "check_in__schedule__treatment__offering_id",
        "ctcae_grade",
        "clinic_rated_at",
        "clinic_rating_due_at",
    ):
        if grade is not None:
            grades[(clinic, condition, offering)].append(grade)
        if rated_at is None and due_at < now:
            unrated[clinic] += 1
    order = {p: i for i, p in enumerate(DEFAULT_TIME_POINTS)}
    result = [
        OutcomeRow(
            clinic_id=key[0],
            clinic_name=labels[key][0],
            condition_name=labels[key][1],
            offering_title=labels[key][2],
            time_point=point,
            summary=summarise(
                outcomes,
                adverse_event_grades=grades.get(key, []),
                relatedness_unanswered=unrated.get(key[0], 0),
            ),
        )
        for (key, point), outcomes in cohorts.items()
    ]
    result.sort(
        key=lambda r: (r.clinic_name, r.condition_name, r.offering_title, order[r.time_point])
    )
    return result


def public_outcome_rows(*, clinic_id: int) -> list[OutcomeRow]:
    """Only what may be published: n >= 5 treated at that time point."""
    return [r for r in outcome_rows(clinic_id=clinic_id) if r.summary.publishable]


__all__ = ["OutcomeRow", "outcome_rows", "public_outcome_rows"]
