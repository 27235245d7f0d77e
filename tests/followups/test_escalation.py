"""Which answers a human must see today, and which within 24 hours."""

from __future__ import annotations

import pytest

from followups.escalation import CheckInAnswers, Tier, escalation_for
from followups.instruments import CareVisit, Severity, SideEffect


def tier(answers: CheckInAnswers, previous_pain: int | None = 5) -> Tier:
    return escalation_for(answers, previous_pain=previous_pain, previous_function=5).tier


@pytest.mark.parametrize(
    "answers",
    [
        CheckInAnswers(fever_over_48h=True, side_effects={SideEffect.FEVER: Severity.MILD}),
        CheckInAnswers(spreading_redness=True),
        CheckInAnswers(pus_or_discharge=True),
        CheckInAnswers(side_effects={SideEffect.SITE_PAIN: Severity.SEVERE}),
        CheckInAnswers(pain_now=8),  # from 5: severe and worsening
        CheckInAnswers(care_visit=CareVisit.HOSPITAL),
    ],
)
def test_a_red_flag_is_an_adverse_event_at_once(answers: CheckInAnswers) -> None:
    assert tier(answers) is Tier.ADVERSE_EVENT


@pytest.mark.parametrize(
    "answers",
    [
        CheckInAnswers(pain_now=5, function_limit=7),  # daily life 2 points worse
        CheckInAnswers(pain_now=3, side_effects={SideEffect.NAUSEA: Severity.SEVERE}),
        CheckInAnswers(care_visit=CareVisit.DOCTOR),
    ],
)
def test_worsening_or_a_grade_3_answer_is_a_task_within_a_day(answers: CheckInAnswers) -> None:
    assert tier(answers) is Tier.TASK_24H


def test_pain_two_points_worse_but_moderate_is_a_task_not_an_event() -> None:
    assert tier(CheckInAnswers(pain_now=5), previous_pain=3) is Tier.TASK_24H


def test_the_expected_soreness_of_day_two_needs_nobody() -> None:
    answers = CheckInAnswers(
        pain_now=4,
        pgic=4,
        side_effects={SideEffect.SITE_PAIN: Severity.MODERATE, SideEffect.BRUISING: Severity.MILD},
        still_present=frozenset({SideEffect.SITE_PAIN}),
    )
    result = escalation_for(answers, previous_pain=5, previous_function=5)
    assert result.tier is Tier.NONE and result.worst_grade == 2


def test_the_reasons_are_named() -> None:
    result = escalation_for(
        CheckInAnswers(fever_over_48h=True, care_visit=CareVisit.HOSPITAL),
        previous_pain=None,
        previous_function=None,
    )
    assert result.reasons == ("fever_over_48h", "hospital_visit")
