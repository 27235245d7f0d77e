"""A chart a person can read, drawn on the server as SVG (no script, no inline style).

One row per time point: a solid bar for the share improved counting everyone
treated (the lower bound), an outlined bar for the share among those who
answered, and the numbers written beside them; the same facts go into a
text alternative (``<title>``/``<desc>`` plus a table in the template).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ChartRow:
    label: str
    lower_bound: Decimal | None
    among_responders: Decimal | None
    n_treated: int
    n_answered: int


WIDTH, LABEL_W, BAR_W, ROW_H = 560, 110, 300, 44


def outcome_chart(rows: Sequence[ChartRow], *, title: str, chart_id: str) -> SafeString:
    height = ROW_H * len(rows) + 30
    desc = "; ".join(
        _("%(label)s: %(lb)s%% improved of %(n)s treated, %(resp)s%% of %(a)s who answered")
        % {
            "label": r.label,
            "lb": r.lower_bound if r.lower_bound is not None else "-",
            "n": r.n_treated,
            "resp": r.among_responders if r.among_responders is not None else "-",
            "a": r.n_answered,
        }
        for r in rows
    )
    bars = format_html_join(
        "\n",
        '<g transform="translate(0,{})">'
        '<text x="0" y="18" font-size="13" fill="#212529">{}</text>'
        '<rect x="{}" y="4" width="{}" height="16" fill="#0b5394"></rect>'
        '<rect x="{}" y="22" width="{}" height="12" fill="none" stroke="#0b5394" '
        'stroke-width="2"></rect>'
        '<text x="{}" y="18" font-size="12" fill="#212529">{}</text>'
        '<text x="{}" y="33" font-size="12" fill="#495057">{}</text>'
        "</g>",
        (
            (
                i * ROW_H + 24,
                r.label,
                LABEL_W,
                _bar(r.lower_bound),
                LABEL_W,
                _bar(r.among_responders),
                LABEL_W + BAR_W + 8,
                _("%(p)s%% of %(n)s treated")
                % {"p": r.lower_bound if r.lower_bound is not None else "-", "n": r.n_treated},
                LABEL_W + BAR_W + 8,
                _("%(p)s%% of %(n)s who answered")
                % {
                    "p": r.among_responders if r.among_responders is not None else "-",
                    "n": r.n_answered,
                },
            )
            for i, r in enumerate(rows)
        ),
    )
    return format_html(
        '<svg class="outcome-chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'aria-labelledby="{}-title {}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<text x="0" y="12" font-size="12" fill="#495057">{}</text>{}</svg>',
        WIDTH + 140,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        _("Solid: improved, counting everyone treated. Outline: among those who answered."),
        bars,
    )


def _bar(share: Decimal | None) -> int:
    if share is None:
        return 0
    return int(BAR_W * min(Decimal(100), max(Decimal(0), share)) / 100)
