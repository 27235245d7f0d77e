"""The outcome chart is plain SVG with a text alternative that carries the numbers."""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree

from followups.charts import ChartRow, outcome_chart


def test_the_chart_parses_and_says_its_numbers_in_words() -> None:
    svg = outcome_chart(
        [
            ChartRow("3 months", Decimal("50"), Decimal("67"), 8, 6),
            ChartRow("6 months", None, None, 0, 0),
        ],
        title="Knee osteoarthritis at Clinic <A>",
        chart_id="c1",
    )
    root = ElementTree.fromstring(str(svg))  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    title, desc_node = root.find(f"{ns}title"), root.find(f"{ns}desc")
    assert title is not None and desc_node is not None
    assert title.text == "Knee osteoarthritis at Clinic <A>"
    desc = desc_node.text or ""
    assert "50% improved of 8 treated" in desc and "67% of 6 who answered" in desc
    assert "style=" not in str(svg) and "<script" not in str(svg)
