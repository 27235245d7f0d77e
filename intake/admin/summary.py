"""The at-a-glance summary at the top of a case: what a tired concierge must not miss.

Hard contraindications and a bad reaction to an earlier cell treatment are
"alerts" (red); the other doctor-flags are "cautions" (amber); the rest is
information. Labels carry the words, never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from ..models import IMAGING_TYPES, RECORD_TYPES, Case
from ..triage import HARD_FLAGS, Flag, FlagInfo, FlagSeverity, describe

# Red at a glance: the hard contraindications, plus an adverse reaction before.
ALERT_FLAGS: frozenset[str] = HARD_FLAGS | {Flag.PREVIOUS_ADVERSE}


def flag_level(code: str, severity: str) -> str:
    if code in ALERT_FLAGS:
        return "alert"
    if severity == FlagSeverity.CAUTION:
        return "caution"
    return "info"


@dataclass(frozen=True)
class Badge:
    code: str
    label: str | Promise
    level: str  # alert / caution / info


def flag_badges(codes: list[str] | None) -> list[Badge]:
    """Badges for a case's flags, alerts first."""
    infos: list[FlagInfo] = describe(list(codes or []))
    badges = [
        Badge(code=i.code, label=i.label, level=flag_level(i.code, i.severity)) for i in infos
    ]
    order = {"alert": 0, "caution": 1, "info": 2}
    return sorted(badges, key=lambda b: order[b.level])


def badges_html(badges: list[Badge], *, limit: int | None = None) -> SafeString:
    shown = badges if limit is None else badges[:limit]
    # Each label translated once (it is written twice); the queue draws this on every row.
    alert = str(_("Alert: ")) if any(b.level == "alert" for b in shown) else ""
    labels = [str(b.label) for b in shown]
    html = format_html_join(
        " ",
        '<span class="sc-badge sc-badge-{}" title="{}">{}{}</span>',
        (
            (b.level, label, alert if b.level == "alert" else "", label)
            for b, label in zip(shown, labels, strict=True)
        ),
    )
    hidden = len(badges) - len(shown)
    if hidden > 0:
        html = format_html('{} <span class="sc-badge sc-badge-more">+{}</span>', html, hidden)
    return html


def countries_label(case: Case) -> str:
    if case.any_country:
        return str(_("Any country"))
    names = [str(countries.name(code) or code) for code in case.countries_accepted or []]
    return ", ".join(names) if names else str(_("Not given"))


def budget_label(case: Case) -> str:
    low, high = case.budget_min_usd, case.budget_max_usd
    if low is None and high is None:
        return str(_("Not given"))
    if low is not None and high is not None:
        return f"USD {low:,} - {high:,}"
    if high is not None:
        return str(_("up to USD %(amount)s") % {"amount": f"{high:,}"})
    return str(_("from USD %(amount)s") % {"amount": f"{low:,}"})


@dataclass
class CaseSummary:
    case: Case
    age: int | None
    sex: str
    condition: str
    category: str
    severity: int | None
    duration: str
    badges: list[Badge]
    imaging: int
    records: int
    other_documents: int
    dicom: int
    budget: str
    countries: str
    travel_window: str
    alerts: list[Badge] = field(default_factory=list)

    @property
    def has_alert(self) -> bool:
        return bool(self.alerts)

    @property
    def ready_documents(self) -> bool:
        return (self.imaging + self.records) > 0


def case_summary(case: Case, documents: list[Any]) -> CaseSummary:
    """Build the summary from a case (patient and condition joined) and its documents."""
    badges = flag_badges(case.triage_flags)
    if case.has_hard_contraindication and not any(b.code in HARD_FLAGS for b in badges):
        badges.insert(0, Badge(code="hard", label=_("Hard contraindication"), level="alert"))
    patient = case.patient
    return CaseSummary(
        case=case,
        age=patient.age,
        sex=patient.get_sex_display(),
        condition=case.condition_label or str(_("Not given")),
        category=case.condition.get_category_display() if case.condition else "",
        severity=case.severity,
        duration=case.get_duration_display() or str(_("Not given")),
        badges=badges,
        alerts=[b for b in badges if b.level == "alert"],
        imaging=sum(1 for d in documents if d.doc_type in IMAGING_TYPES),
        records=sum(1 for d in documents if d.doc_type in RECORD_TYPES),
        other_documents=sum(1 for d in documents if d.doc_type not in IMAGING_TYPES | RECORD_TYPES),
        dicom=sum(1 for d in documents if d.kind == "dicom"),
        budget=budget_label(case),
        countries=countries_label(case),
        travel_window=case.get_travel_window_display() or str(_("Not given")),
    )
