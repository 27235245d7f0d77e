"""Outcomes per clinic, condition and offering at each time point, honestly counted.

Improvement is "meaningful" when pain (NRS) fell by 2 points or 30 % from the
patient's baseline, or the patient rated their change "much" or "very much
improved" (PGIC 1-2): the IMMPACT thresholds. The headline share counts every
treated patient who reached the time point, with non-responders counted as
not improved, so it is a lower bound; the share among responders stands
beside it. Figures are published only where n >= PUBLISH_MIN_N, because
smaller numbers identify patients.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

PUBLISH_MIN_N = 5


@dataclass(frozen=True)
class PatientOutcome:
    """One treated patient at one time point (answered or not)."""

    baseline_pain: int | None
    answered: bool
    pain_now: int | None = None
    pgic: int | None = None


@dataclass(frozen=True)
class Quartiles:
    median: float
    q1: float
    q3: float


@dataclass
class OutcomeSummary:
    n_treated: int = 0
    n_answered: int = 0
    n_improved: int = 0
    pain_change: Quartiles | None = None
    adverse_events_by_grade: dict[int, int] = field(default_factory=dict)
    relatedness_unanswered: int = 0

    @property
    def response_rate(self) -> Decimal | None:
        return _share(self.n_answered, self.n_treated)

    @property
    def improved_lower_bound(self) -> Decimal | None:
        """Improved / everyone treated: non-responders count as not improved."""
        return _share(self.n_improved, self.n_treated)

    @property
    def improved_among_responders(self) -> Decimal | None:
        return _share(self.n_improved, self.n_answered)

    @property
    def publishable(self) -> bool:
        return self.n_treated >= PUBLISH_MIN_N


def _share(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("1"), ROUND_HALF_UP)


def is_meaningfully_improved(outcome: PatientOutcome) -> bool:
    if not outcome.answered:
        return False
    if outcome.pgic is not None and outcome.pgic <= 2:
        return True
    if outcome.pain_now is None or outcome.baseline_pain is None or outcome.baseline_pain == 0:
        return False
    drop = outcome.baseline_pain - outcome.pain_now
    return drop >= 2 or Decimal(drop) / Decimal(outcome.baseline_pain) >= Decimal("0.3")


def quartiles(values: Iterable[float]) -> Quartiles | None:
    data = sorted(values)
    if not data:
        return None
    if len(data) == 1:
        return Quartiles(data[0], data[0], data[0])
    q1, median, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return Quartiles(median, q1, q3)


def summarise(
    outcomes: Iterable[PatientOutcome],
    *,
    adverse_event_grades: Iterable[int] = (),
    relatedness_unanswered: int = 0,
) -> OutcomeSummary:
    rows = list(outcomes)
    summary = OutcomeSummary(
        n_treated=len(rows),
        n_answered=sum(1 for r in rows if r.answered),
        n_improved=sum(1 for r in rows if is_meaningfully_improved(r)),
        relatedness_unanswered=relatedness_unanswered,
    )
    changes = [
        float(r.pain_now - r.baseline_pain)
        for r in rows
        if r.answered and r.pain_now is not None and r.baseline_pain is not None
    ]
    summary.pain_change = quartiles(changes)
    summary.adverse_events_by_grade = dict(sorted(Counter(adverse_event_grades).items()))
    return summary
