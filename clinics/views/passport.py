"""An offering's passport in plain words, for patients.

"Your own cells (autologous) from fat tissue, expanded in a lab to 100 million
cells, given by IV infusion over 60-120 minutes." Jargon stays in brackets so a
patient can match it to what a clinic tells them. Two rules from the domain are
enforced here, whatever the clinic typed: a dose given only in mL is described as
a minimally manipulated, same-day product, and a secretome/exosome product is
described as having no live cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import CellOrigin, CellSource, Compliance, Manipulation, Offering, Route
from ..money import about_usd

SOURCE_WORDS: dict[str, Any] = {
    CellSource.BONE_MARROW: gettext_lazy("from bone marrow"),
    CellSource.ADIPOSE: gettext_lazy("from fat tissue"),
    CellSource.UMBILICAL_CORD: gettext_lazy("from umbilical cord tissue (Wharton's jelly)"),
    CellSource.CORD_BLOOD: gettext_lazy("from umbilical cord blood"),
    CellSource.PLACENTA: gettext_lazy("from placenta"),
    CellSource.PERIPHERAL_BLOOD: gettext_lazy("from blood (peripheral blood)"),
}

ROUTE_WORDS: dict[str, Any] = {
    Route.JOINT: gettext_lazy("injected into the joint"),
    Route.SPINE: gettext_lazy("injected into the spine or disc"),
    Route.SOFT_TISSUE: gettext_lazy("injected into the tendon, ligament or muscle"),
    Route.SKIN: gettext_lazy("injected into the skin or scalp"),
    Route.IV: gettext_lazy("given by IV infusion over 60-120 minutes"),
    Route.INTRATHECAL: gettext_lazy("injected into the spinal fluid (intrathecal)"),
    Route.OTHER: gettext_lazy("given by another route (ask the clinic how)"),
}


def _source(offering: Offering) -> str:
    words = SOURCE_WORDS.get(offering.cell_source)
    return str(words) if words else ""


def _number(value: Decimal | None) -> str:
    """100 -> "100", 2.5 -> "2.5", 1000 -> "1,000" (in the viewer's locale)."""
    if value is None:
        return ""
    if value == value.to_integral_value():
        return number_format(int(value), force_grouping=True)
    return number_format(value.normalize(), force_grouping=True)


def _whose_cells(offering: Offering) -> str:
    if offering.origin == CellOrigin.AUTOLOGOUS:
        return _("Your own cells (autologous)")
    return _("Cells from a screened donor (allogeneic)")


def _processing(offering: Offering) -> str:
    if offering.dose_only_in_ml:
        return _(
            "minimally manipulated: prepared the same day without growing them in a lab, %(ml)s mL"
        ) % {"ml": _number(offering.volume_ml)}
    count = _number(offering.cell_count_millions)
    if offering.manipulation == Manipulation.CULTURED:
        return _("expanded in a lab to %(count)s million cells") % {"count": count}
    text = _("minimally manipulated: prepared the same day, about %(count)s million cells") % {
        "count": count
    }
    if offering.volume_ml is not None:
        text += " " + _("in %(ml)s mL") % {"ml": _number(offering.volume_ml)}
    return text


def plain_words(offering: Offering) -> str:
    """One sentence a patient can read: whose cells, from where, how processed, how given."""
    route = str(ROUTE_WORDS.get(offering.route, ROUTE_WORDS[Route.OTHER]))
    source = _source(offering)
    if offering.is_cell_free:
        made_from = (
            _("made from your own cells")
            if offering.origin == CellOrigin.AUTOLOGOUS
            else _("made from a screened donor's cells")
        )
        dose = (
            _("%(ml)s mL") % {"ml": _number(offering.volume_ml)}
            if offering.volume_ml is not None
            else ""
        )
        parts = [_("No live cells: a cell-free product (secretome or exosomes)"), made_from]
        if source:
            parts[-1] = f"{made_from} {source}"
        if dose:
            parts.append(dose)
        parts.append(route)
        return ", ".join(parts) + "."
    first = _whose_cells(offering)
    if source:
        first = f"{first} {source}"
    return f"{first}, {_processing(offering)}, {route}."


def sessions_words(offering: Offering) -> str:
    return ngettext("%(n)s session", "%(n)s sessions", offering.sessions) % {"n": offering.sessions}


def stay_words(offering: Offering) -> str:
    nights = offering.typical_stay_nights
    return ngettext(
        "Plan to stay about %(n)s night.", "Plan to stay about %(n)s nights.", nights
    ) % {"n": nights}


def price_words(offering: Offering) -> str:
    low = intcomma(int(offering.price_min))
    high = intcomma(int(offering.price_max))
    text = (
        f"{offering.price_currency} {low}"
        if offering.price_min == offering.price_max
        else f"{offering.price_currency} {low} - {high}"
    )
    if offering.price_currency != "USD" and offering.price_min_usd is not None:
        about = about_usd(
            offering.price_min_usd,
            offering.price_max_usd,
            offering.price_currency,
            offering.price_usd_rate_on,
        )
        text += f" ({about})"
    return text


@dataclass(frozen=True)
class ComplianceNote:
    """How the offering reads against the country's legality table."""

    code: str
    css: str
    text: str


def compliance_note(offering: Any, country_name: str) -> ComplianceNote:
    """Never "compliant" unless a rule says so and none says no (annotated by the queryset)."""
    code = getattr(offering, "compliance", Compliance.UNKNOWN)
    if getattr(offering, "legality_conflict", False) or code == Compliance.CONFLICT:
        return ComplianceNote(
            Compliance.CONFLICT,
            "badge-warning-soft",
            _(
                "Conflicts with %(country)s's rules as recorded in our legality table. Our "
                "staff are reviewing it: ask us before you book."
            )
            % {"country": country_name},
        )
    if code == Compliance.COMPLIANT:
        return ComplianceNote(
            Compliance.COMPLIANT,
            "badge-verified",
            _("Matches %(country)s's rules as recorded in our legality table.")
            % {"country": country_name},
        )
    return ComplianceNote(
        Compliance.UNKNOWN,
        "badge-unverified",
        _(
            "We hold no rule for this kind of treatment in %(country)s yet; we have not "
            "confirmed it is allowed."
        )
        % {"country": country_name},
    )


@dataclass(frozen=True)
class Passport:
    offering: Offering
    sentence: str
    sessions: str
    stay: str
    price: str
    compliance: ComplianceNote
    verified: bool
    no_live_cells: bool
    processing_label: str


def passport(offering: Offering, *, country_name: str) -> Passport:
    """Everything the profile shows about one offering, worded for patients."""
    return Passport(
        offering=offering,
        sentence=plain_words(offering),
        sessions=sessions_words(offering),
        stay=stay_words(offering),
        price=price_words(offering),
        compliance=compliance_note(offering, country_name),
        verified=bool(getattr(offering, "has_verified_badge", False)),
        no_live_cells=offering.is_cell_free,
        processing_label=offering.public_processing,
    )
