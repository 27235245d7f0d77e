"""The outcome card on a clinic's public profile: only groups with n >= 5 treated."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Min
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clinics.models import Clinic

from .charts import ChartRow, outcome_chart
from .models import AdverseEvent, CheckIn
from .outcomes import PUBLISH_MIN_N
from .outcomes_report import OutcomeRow, outcome_rows


def outcome_card(clinic: Clinic, request: HttpRequest) -> SafeString | None:
    """Two queries at most, whatever the number of patients."""
    rows = [r for r in outcome_rows(clinic_id=clinic.pk) if r.summary.publishable]
    groups: dict[tuple[str, str], list[OutcomeRow]] = defaultdict(list)
    for row in rows:
        groups[(row.condition_name, row.offering_title)].append(row)
    cards = []
    for index, ((condition, offering), group) in enumerate(groups.items()):
        title = _("%(condition)s, %(offering)s: share of patients improved") % {
            "condition": condition or _("Other condition"),
            "offering": offering,
        }
        chart = outcome_chart(
            [
                ChartRow(
                    r.time_point_label,
                    r.summary.improved_lower_bound,
                    r.summary.improved_among_responders,
                    r.summary.n_treated,
                    r.summary.n_answered,
                )
                for r in group
            ],
            title=title,
            chart_id=f"outcomes-{clinic.pk}-{index}",
        )
        cards.append({"title": title, "chart": chart, "rows": group})
    unrated = max((r.summary.relatedness_unanswered for r in rows), default=0)
    html = render_to_string(
        "followups/_outcome_card.html",
        {"clinic": clinic, "cards": cards, "min_n": PUBLISH_MIN_N, "unrated": unrated},
        request=request,
    )
    # Rendered by our own template, autoescaped; the chart is built with format_html.
    return mark_safe(html)


def outcome_card_changes_at(clinic: Clinic) -> dt.datetime | None:
    """When the card's figures next move by the clock alone: one of the clinic's check-ins
    comes due (its patient joins the count), or a relatedness rating falls overdue.

    The cached public profile is not served past this instant (clinics.profile_sections).
    Two queries, asked only when the page is rendered afresh.
    """
    now = timezone.now()
    next_due = CheckIn.objects.filter(
        schedule__clinic_id=clinic.pk, side_effects_only=False, due_at__gt=now
    ).aggregate(at=Min("due_at"))["at"]
    next_overdue = AdverseEvent.objects.filter(
        clinic_id=clinic.pk, clinic_rated_at__isnull=True, clinic_rating_due_at__gt=now
    ).aggregate(at=Min("clinic_rating_due_at"))["at"]
    return min((at for at in (next_due, next_overdue) if at is not None), default=None)
