"""Pre-treatment instructions, generated from the offering and the plan.

Plain, general advice the clinic confirms in person (``../shared/docs/domain.md``):
NSAIDs are usually paused some days before; smoking and alcohol impair healing;
hydration helps a harvest and an infusion; fasting only if sedation is planned.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from clinics.models import CellSource, Route

from .models import PhaseKind, TreatmentPlan

NSAID_PAUSE_DAYS = 7
FASTING_HOURS = 8


def pretreatment_instructions(plan: TreatmentPlan, phase_kind: str) -> list[Any]:
    """The instructions for one phase of ``plan``, as translatable sentences, in order."""
    offering = plan.offering
    lines: list[Any] = [
        _(
            "Stop NSAID painkillers (such as ibuprofen, naproxen or diclofenac) %(days)s days "
            "before, unless your doctor says otherwise: they can blunt how the cells work. "
            "Paracetamol (acetaminophen) is usually fine."
        )
        % {"days": NSAID_PAUSE_DAYS},
        _("Drink plenty of water for two days before and after."),
        _(
            "Do not drink alcohol or smoke from a week before until at least two weeks after: "
            "both slow healing."
        ),
    ]
    harvest_here = phase_kind == PhaseKind.HARVEST or (
        not plan.is_two_phase and offering.origin == "autologous"
    )
    if harvest_here and offering.cell_source == CellSource.BONE_MARROW:
        lines.append(
            _(
                "The cells are collected from your hip bone: wear loose, comfortable "
                "clothes and plan to rest for the rest of the day."
            )
        )
    elif harvest_here and offering.cell_source == CellSource.ADIPOSE:
        lines.append(
            _(
                "The cells are collected by mini-liposuction: wear loose clothes; the "
                "clinic will give you a compression garment."
            )
        )
    if phase_kind == PhaseKind.TREATMENT and offering.route == Route.IV:
        lines.append(
            _(
                "The infusion takes 60 to 120 minutes: eat a light meal beforehand "
                "unless you were told to fast, and bring something to read."
            )
        )
    if plan.sedation:
        lines.append(
            _(
                "You will be sedated: eat nothing for %(hours)s hours before, and "
                "have someone take you back to your hotel."
            )
            % {"hours": FASTING_HOURS}
        )
    lines.append(
        _(
            "Tell the clinic at once if you have a fever, an infection or start new "
            "medicines before the date."
        )
    )
    return lines
