"""Outcome arithmetic against a fixture worked by hand, non-responders included."""

from __future__ import annotations

from decimal import Decimal

from followups.outcomes import (
    PatientOutcome,
    Quartiles,
    is_meaningfully_improved,
    summarise,
)


def hand_worked_cohort() -> list[PatientOutcome]:
    """Eight patients treated, six answered at three months.

    1. 8 -> 5: down 3 points            improved
    2. 6 -> 5, PGIC "much improved"      improved (by PGIC)
    3. 5 -> 4: down 1 point, 20 %        not improved
    4. 10 -> 7: down 3 points            improved
    5. 3 -> 2: down 1 point, 33 %        improved (30 % rule)
    6. did not answer                    counted as not improved
    7. did not answer                    counted as not improved
    8. 7 -> 8: worse                     not improved
    """
    return [
        PatientOutcome(8, True, 5),
        PatientOutcome(6, True, 5, pgic=2),
        PatientOutcome(5, True, 4),
        PatientOutcome(10, True, 7),
        PatientOutcome(3, True, 2),
        PatientOutcome(6, False),
        PatientOutcome(4, False),
        PatientOutcome(7, True, 8),
    ]


def test_the_shares_match_the_hand_worked_fixture() -> None:
    summary = summarise(hand_worked_cohort(), adverse_event_grades=[1, 1, 3])
    assert (summary.n_treated, summary.n_answered, summary.n_improved) == (8, 6, 4)
    assert summary.response_rate == Decimal("75")
    assert summary.improved_lower_bound == Decimal("50")  # 4 of 8: non-responders count
    assert summary.improved_among_responders == Decimal("67")  # 4 of 6
    # Changes -3, -1, -1, -3, -1, +1: median -1, quartiles -2.5 and -1.
    assert summary.pain_change == Quartiles(-1.0, -2.5, -1.0)
    assert summary.adverse_events_by_grade == {1: 2, 3: 1}
    assert summary.publishable


def test_four_patients_are_too_few_to_publish() -> None:
    summary = summarise(hand_worked_cohort()[:4])
    assert summary.n_treated == 4 and not summary.publishable


def test_a_non_responder_is_never_improved() -> None:
    assert not is_meaningfully_improved(PatientOutcome(9, False, pain_now=0, pgic=1))


def test_nobody_treated_gives_no_shares_rather_than_zero() -> None:
    summary = summarise([])
    assert summary.response_rate is None and summary.improved_lower_bound is None
    assert summary.pain_change is None
