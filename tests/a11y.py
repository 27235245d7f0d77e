"""axe-core in a real page: WCAG 2.2 A/AA violations, as a list of dicts.

axe is vendored (static/vendor/axe-core/axe.min.js, from the npm registry) and injected
through the DevTools protocol (``page.evaluate``), which the site's Content-Security-Policy
does not govern, so pages are checked exactly as served. Nothing is downloaded.

    violations = axe_violations(page)
    assert not violations, describe(violations)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_PATH = Path(__file__).resolve().parent.parent / "static/vendor/axe-core/axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@lru_cache(maxsize=1)
def _axe_source() -> str:
    # A trailing expression: evaluate() must not mistake the script's value for a function.
    return AXE_PATH.read_text(encoding="utf-8") + "\n;true"


def axe_violations(page: Page, *, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """Run axe on the page as it is now; return its violations (id, impact, help, nodes)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result: dict[str, Any] = page.evaluate(
        """async (tags) => {
            const r = await window.axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return {violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300),
                                           summary: n.failureSummary})),
            }))};
        }""",
        tags or WCAG_22_AA,
    )
    return list(result["violations"])


def describe(violations: list[dict[str, Any]], *, where: str = "") -> str:
    """One readable block per violation, with the first few offending elements."""
    lines = []
    for v in violations:
        lines.append(f"{where} [{v['impact']}] {v['id']}: {v['help']}".strip())
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            if node.get("summary"):
                lines.append("      " + node["summary"].replace("\n", "\n      ")[:400])
    return "\n".join(lines)
