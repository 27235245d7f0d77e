"""Which answers a human must see, and how soon: one pure function, tested by itself.

Tier 1 (an adverse event at once; concierge on duty and clinic told now):
fever beyond 48 h, spreading redness, pus or fluid at the site, severe or
worsening site pain, any emergency or hospital visit.
Tier 2 (a staff task due within 24 h): pain or function two or more points
worse than before, or any answer of grade 3 or worse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from .instruments import CareVisit, Severity, SideEffect


class Tier(StrEnum):
    NONE = "none"
    TASK_24H = "task_24h"
    ADVERSE_EVENT = "adverse_event"


@dataclass(frozen=True)
class CheckInAnswers:
    """The clinically relevant part of one answered check-in."""

    pain_now: int | None = None
    function_limit: int | None = None
    pgic: int | None = None
    side_effects: dict[str, int] = field(default_factory=dict)  # SideEffect -> Severity
    still_present: frozenset[str] = frozenset()
    fever_over_48h: bool = False
    spreading_redness: bool = False
    pus_or_discharge: bool = False
    care_visit: str = CareVisit.NONE


@dataclass(frozen=True)
class Escalation:
    tier: Tier
    reasons: tuple[str, ...]  # codes, translated for display by REASON_LABELS
    worst_grade: int


def _worsened(now: int | None, before: int | None) -> bool:
    return now is not None and before is not None and now - before >= 2


def escalation_for(
    answers: CheckInAnswers, *, previous_pain: int | None, previous_function: int | None
) -> Escalation:
    """Classify one answered check-in against the patient's previous answer (or baseline)."""
    red: list[str] = []
    amber: list[str] = []
    grades = list(answers.side_effects.values()) or [0]
    worst = max(grades)
    site_pain = answers.side_effects.get(SideEffect.SITE_PAIN, 0)

    if answers.fever_over_48h:
        red.append("fever_over_48h")
    if answers.spreading_redness:
        red.append("spreading_redness")
    if answers.pus_or_discharge:
        red.append("pus_or_discharge")
    if site_pain >= Severity.SEVERE:
        red.append("severe_site_pain")
    if _worsened(answers.pain_now, previous_pain) and (answers.pain_now or 0) >= 7:
        red.append("worsening_pain")
    if answers.care_visit == CareVisit.HOSPITAL:
        red.append("hospital_visit")

    if _worsened(answers.pain_now, previous_pain) and "worsening_pain" not in red:
        amber.append("pain_worse_2")
    if _worsened(answers.function_limit, previous_function):
        amber.append("function_worse_2")
    if worst >= Severity.SEVERE and "severe_site_pain" not in red:
        amber.append("grade_3")
    if answers.care_visit == CareVisit.DOCTOR:
        amber.append("doctor_visit")

    if red:
        return Escalation(Tier.ADVERSE_EVENT, tuple(red + amber), worst)
    if amber:
        return Escalation(Tier.TASK_24H, tuple(amber), worst)
    return Escalation(Tier.NONE, (), worst)


REASON_LABELS: dict[str, object] = {
    "fever_over_48h": _("Fever for more than 48 hours"),
    "spreading_redness": _("Redness that spreads"),
    "pus_or_discharge": _("Pus or fluid at the site"),
    "severe_site_pain": _("Severe pain at the site"),
    "worsening_pain": _("Pain severe and getting worse"),
    "hospital_visit": _("Emergency department or hospital visit"),
    "pain_worse_2": _("Pain two or more points worse"),
    "function_worse_2": _("Daily life two or more points more limited"),
    "grade_3": _("A severe side effect (grade 3)"),
    "doctor_visit": _("Saw a doctor or nurse"),
}
