"""What the case page shows, and which of it only clinician reviewers may read.

Kept apart from ``CaseAdmin`` because the list of clinical answers is a privacy
rule, not page layout: the change page, the history page and the read-only
field list all derive from the one ``FIELDSETS`` here, so a field added to the
page is hidden from non-clinicians by the same edit.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from simple_history.models import ModelDelta
from simple_history.template_utils import HistoricalRecordContextHelper

from ..steps import CASE_FIELDS

# The history and screening answers as the wizard asks them (one list: a question added to
# the wizard is on the case page too, and clinician-only by the rule below).
FIELDSETS: list[tuple[Any, dict[str, Any]]] = [
    (
        _("Triage"),
        {
            "fields": (
                "reference",
                "status",
                "status_changed_at",
                "owner",
                "submitted_at",
                "triage_flags_display",
                "has_hard_contraindication",
            )
        },
    ),
    (_("Patient"), {"fields": ("patient_link", "patient_age", "patient_country")}),
    (
        _("Condition"),
        {
            "fields": (
                "condition",
                "condition_other",
                "duration",
                "severity",
                "diagnosis_confirmed",
                "symptoms",
                "functional_impact",
                "goals",
            )
        },
    ),
    (
        _("Medical history"),
        {"fields": tuple(CASE_FIELDS["history"])},
    ),
    (
        _("Screening"),
        {"fields": tuple(CASE_FIELDS["screening"])},
    ),
    (
        _("Plans"),
        {
            "fields": (
                "budget_min_usd",
                "budget_max_usd",
                "countries_display",
                "travel_window",
                "travel_companion",
                "needs_travel_help",
                "preferred_clinic",
                "elsewhere_clinic_name",
                "elsewhere_clinic_website",
                "records_later",
            )
        },
    ),
]


# The patient's clinical answers (their own words about symptoms, the whole
# medical history and screening): clinician reviewers only. Every concierge
# still sees the condition, its severity and duration, and the triage flags.
CLINICAL_FIELDS = frozenset(
    {"symptoms", "functional_impact", "goals"}
    | {
        name
        for _title, opts in FIELDSETS
        if {"current_medications", "active_infection"} & set(opts["fields"])
        for name in opts["fields"]
    }
)


class ClinicalDeltaHelper(HistoricalRecordContextHelper):
    """The history page for staff who are not clinician reviewers: a clinical answer's
    change is listed by field name, never with what the patient wrote before or after."""

    def context_for_delta_changes(self, delta: ModelDelta) -> list[dict[str, Any]]:
        rows = super().context_for_delta_changes(delta)
        for change, row in zip(delta.changes, rows, strict=True):
            if change.field in CLINICAL_FIELDS:
                row["old"] = row["new"] = _("(clinician reviewers only)")
        return rows


def fieldsets_for(*, clinician: bool) -> list[tuple[Any, dict[str, Any]]]:
    if clinician:
        return FIELDSETS
    kept = [
        (title, {**opts, "fields": tuple(f for f in opts["fields"] if f not in CLINICAL_FIELDS)})
        for title, opts in FIELDSETS
    ]
    return [(title, opts) for title, opts in kept if opts["fields"]]
