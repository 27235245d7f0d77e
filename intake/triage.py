"""Triage flag codes: what each means and how serious it is.

The rules that compute them live in ``intake.services.triage``; this module is
the vocabulary, shared by the admin (badges, filters) and the services.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class FlagSeverity(models.TextChoices):
    HARD = "hard", _("Hard contraindication")
    CAUTION = "caution", _("Flag for a doctor")
    INFO = "info", _("For the concierge")


class Flag(models.TextChoices):
    # hard contraindications: the case goes to clinician review
    ACTIVE_INFECTION = "active_infection", _("Active infection")
    CANCER_ACTIVE = "cancer_active", _("Cancer now or under treatment")
    CANCER_RECENT = "cancer_recent", _("Cancer in the last 5 years")
    IMMUNE_SEVERE = "immune_severe", _("Severely weakened immune system")
    # for a doctor
    CANCER_PAST = "cancer_past", _("Cancer more than 5 years ago")
    IMMUNE_MILD = "immune_mild", _("Somewhat weakened immune system")
    IMMUNE_UNSURE = "immune_unsure", _("Unsure about the immune system")
    PREGNANCY = "pregnancy", _("Pregnant, possibly pregnant or breastfeeding")
    BLEEDING_DISORDER = "bleeding_disorder", _("Bleeding disorder")
    ANTICOAGULANTS = "anticoagulants", _("Takes anticoagulants")
    IMMUNOSUPPRESSANTS = "immunosuppressants", _("Takes immunosuppressants")
    NSAIDS = "nsaids", _("Takes NSAIDs (pause before treatment)")
    SMOKING = "smoking", _("Smokes")
    ALCOHOL_HEAVY = "alcohol_heavy", _("Drinks more than 14 a week")
    LONG_STANDING = "long_standing", _("Condition for more than 10 years")
    PREVIOUS_ADVERSE = "previous_adverse", _("Bad reaction to a previous cell treatment")
    # for the concierge
    PREVIOUS_TREATMENT = "previous_treatment", _("Had stem-cell or PRP treatment before")
    NO_IMAGING = "no_imaging", _("No imaging uploaded")
    NO_RECORDS = "no_records", _("No medical records uploaded")
    RECORDS_LATER = "records_later", _("Will send records later")
    DIAGNOSIS_UNCONFIRMED = "diagnosis_unconfirmed", _("Diagnosis not confirmed by a doctor")
    CONDITION_OTHER = "condition_other", _("Condition not in our list")
    ML_ONLY_INTEREST = (
        "ml_only_interest",
        _(
            "Chosen clinic offers only mL-dosed (minimally manipulated) treatment "
            "for this condition"
        ),
    )
    CLINIC_CHECK = "clinic_check", _("Asks us to check a clinic found elsewhere")


@dataclass(frozen=True)
class FlagInfo:
    code: str
    label: str | Promise
    severity: str


HARD_FLAGS: frozenset[str] = frozenset(
    {Flag.ACTIVE_INFECTION, Flag.CANCER_ACTIVE, Flag.CANCER_RECENT, Flag.IMMUNE_SEVERE}
)
CAUTION_FLAGS: frozenset[str] = frozenset(
    {
        Flag.CANCER_PAST,
        Flag.IMMUNE_MILD,
        Flag.IMMUNE_UNSURE,
        Flag.PREGNANCY,
        Flag.BLEEDING_DISORDER,
        Flag.ANTICOAGULANTS,
        Flag.IMMUNOSUPPRESSANTS,
        Flag.NSAIDS,
        Flag.SMOKING,
        Flag.ALCOHOL_HEAVY,
        Flag.LONG_STANDING,
        Flag.PREVIOUS_ADVERSE,
    }
)


def severity_of(code: str) -> str:
    if code in HARD_FLAGS:
        return FlagSeverity.HARD
    if code in CAUTION_FLAGS:
        return FlagSeverity.CAUTION
    return FlagSeverity.INFO


FLAGS: dict[str, FlagInfo] = {
    f.value: FlagInfo(code=f.value, label=f.label, severity=severity_of(f.value)) for f in Flag
}


def describe(codes: list[str]) -> list[FlagInfo]:
    """Known flags first by severity (hard, caution, info); unknown codes are skipped."""
    order = {FlagSeverity.HARD: 0, FlagSeverity.CAUTION: 1, FlagSeverity.INFO: 2}
    known = [FLAGS[c] for c in codes if c in FLAGS]
    return sorted(known, key=lambda f: (order[FlagSeverity(f.severity)], str(f.code)))
