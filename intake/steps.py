"""The wizard's steps: order, titles, and which fields each one owns.

Forms take their ``Meta.fields`` from here and the draft service writes only
these fields for a step, so nothing posted can reach any other column.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    name: str
    title: str | Promise


STEPS: tuple[Step, ...] = (
    Step("about", _("About you")),
    Step("condition", _("Your condition")),
    Step("history", _("Medical history")),
    Step("screening", _("Health screening")),
    Step("records", _("Records and imaging")),
    Step("plans", _("Your plans")),
    Step("consent", _("Privacy and consent")),
    Step("review", _("Check and send")),
)
STEP_NAMES: tuple[str, ...] = tuple(s.name for s in STEPS)
FIRST_STEP = STEPS[0].name

PATIENT_FIELDS: list[str] = [
    "full_name",
    "email",
    "phone",
    "date_of_birth",
    "sex",
    "country",
    "time_zone",
    "language",
    "spoken_languages",
]

CASE_FIELDS: dict[str, list[str]] = {
    "condition": [
        "condition",
        "condition_other",
        "duration",
        "severity",
        "functional_impact",
        "symptoms",
        "goals",
        "diagnosis_confirmed",
    ],
    "history": [
        "other_conditions",
        "current_medications",
        "takes_nsaids",
        "nsaids_details",
        "takes_immunosuppressants",
        "immunosuppressants_details",
        "takes_anticoagulants",
        "anticoagulants_details",
        "allergies",
        "surgeries",
        "had_cell_therapy",
        "cell_therapy_where",
        "cell_therapy_when",
        "cell_therapy_result",
        "cell_therapy_adverse",
    ],
    "screening": [
        "active_infection",
        "active_infection_details",
        "cancer",
        "cancer_which",
        "cancer_year",
        "immune_compromise",
        "immune_compromise_details",
        "pregnant",
        "bleeding_disorder",
        "bleeding_disorder_details",
        "smoking",
        "alcohol",
    ],
    "records": ["records_later"],
    "plans": [
        "budget_min_usd",
        "budget_max_usd",
        "countries_accepted",
        "any_country",
        "travel_window",
        "travel_companion",
        "needs_travel_help",
        "elsewhere_clinic_name",
        "elsewhere_clinic_website",
    ],
}


def step_index(name: str) -> int:
    return STEP_NAMES.index(name)


def next_step(name: str) -> str | None:
    i = step_index(name)
    return STEP_NAMES[i + 1] if i + 1 < len(STEP_NAMES) else None


def previous_step(name: str) -> str | None:
    i = step_index(name)
    return STEP_NAMES[i - 1] if i > 0 else None
