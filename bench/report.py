"""Collecting the run's results: FIGURE lines now, Markdown tables at the end of the run.

``bench/results/latest.md`` holds the last run; every run is also kept as
``bench/results/run-<UTC time>.md``, and the cost-of-growth table as ``growth.md``
(plus ``growth-<UTC time>.md``).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import record_figure

RESULTS = Path(__file__).with_name("results")


@dataclass
class Row:
    """One scenario: its throughput and p95, and the baseline measured just before it."""

    scenario: str
    what: str
    rps: float
    p95_ms: float
    baseline: str
    baseline_rps: float
    extra: dict[str, str] = field(default_factory=dict)
    target: str = ""  # the target, in words ("ratio >= 0.60")
    met: bool | None = None

    @property
    def ratio(self) -> float:
        return self.rps / self.baseline_rps if self.baseline_rps else 0.0


@dataclass
class Run:
    cases: int = 0
    rows: list[Row] = field(default_factory=list)
    # scenario -> cases in the data set -> p95 in ms (the cost-of-growth table)
    growth_p95: dict[str, dict[int, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def growth(self) -> dict[str, dict[int, float]]:
        """Only scenarios measured at two sizes."""
        return {k: v for k, v in self.growth_p95.items() if len(v) >= 2}


RUN = Run()


def record(row: Row) -> None:
    RUN.rows.append(row)
    record_figure(
        f"bench.{row.scenario}",
        rps=f"{row.rps:.1f}",
        p95_ms=f"{row.p95_ms:.1f}",
        ratio=f"{row.ratio:.2f}",
        **row.extra,
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _header(stamp: str) -> list[str]:
    seconds = os.environ.get("BENCH_SECONDS", "8")
    return [
        f"# Bench run {stamp}",
        "",
        f"`make bench` on {platform.node()} ({os.cpu_count()} CPUs, shared with other work: "
        "absolute numbers are noisy, the ratios are what travel). gunicorn with 2 workers, "
        f"PostgreSQL and Redis; wrk, {seconds} s per measurement, each page request "
        "with a browser's `Accept-Encoding`; data set of "
        f"{RUN.cases:,} cases (`manage.py seed_load`). Each ratio divides the scenario's "
        "throughput by its baseline's, measured just before it by the same gunicorn.",
        "",
    ]


def write() -> Path | None:
    if not RUN.rows and not RUN.growth:
        return None
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    slug = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = _header(stamp)
    if RUN.rows:
        lines += [
            "| scenario | what | throughput | p95 | baseline | ratio | also | target |",
            "| --- | --- | ---: | ---: | --- | ---: | --- | --- |",
        ]
        for row in RUN.rows:
            also = ", ".join(f"{k} {v}" for k, v in row.extra.items())
            verdict = "" if row.met is None else (" (met)" if row.met else " (NOT met)")
            lines.append(
                f"| {row.scenario} | {row.what} | {_number(row.rps)}/s | {row.p95_ms:,.1f} ms | "
                f"{row.baseline} {_number(row.baseline_rps)}/s | {row.ratio:.2f} | {also} | "
                f"{row.target}{verdict} |"
            )
    lines += ["", *RUN.notes] if RUN.notes else []
    if RUN.growth:
        lines += ["", *growth_table()]
    path = RESULTS / f"run-{slug}.md"
    path.write_text("\n".join(lines) + "\n")
    shutil.copyfile(path, RESULTS / "latest.md")
    if RUN.growth:
        growth = [f"# Cost of growth, {stamp}", "", *growth_table()]
        (RESULTS / f"growth-{slug}.md").write_text("\n".join(growth) + "\n")
        shutil.copyfile(RESULTS / f"growth-{slug}.md", RESULTS / "growth.md")
    return path


def growth_table() -> list[str]:
    sizes = sorted({cases for by_size in RUN.growth.values() for cases in by_size})
    small, large = sizes[0], sizes[-1]
    lines = [
        f"How p95 changes from {small:,} to {large:,} cases (same machine, same run; the "
        "dispatcher's p95 is the time from due to sent of 10,000 e-mails).",
        "",
        f"| scenario | p95 at {small:,} cases | p95 at {large:,} cases | growth |",
        "| --- | ---: | ---: | ---: |",
    ]
    for scenario, by_size in RUN.growth.items():
        low, high = by_size[small], by_size[large]
        factor = high / low if low else 0.0
        lines.append(f"| {scenario} | {low:,.1f} ms | {high:,.1f} ms | x{factor:.2f} |")
    return lines
