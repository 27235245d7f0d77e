"""Follow-up dispatch: 10,000 due check-ins drained by two worker processes, against raw
smtplib sending the same messages to the same sink in one process."""

from __future__ import annotations

from django.conf import settings

from .dispatch import drain
from .report import RUN, Row, record
from .site import Site

DUE = 10_000


def record_drain(site: Site, scenario: str) -> None:
    result = drain(site, DUE)
    row = Row(
        scenario=scenario,
        what=f"{DUE:,} check-in invitations due at once; 1 dispatcher, 2 worker processes "
        f"({settings.WORKER_POOL['mail']} pool, {settings.WORKER_CONCURRENCY['mail']} each, "
        "as the production mail worker)",
        rps=result.per_s,
        p95_ms=result.p95_ms,
        baseline="raw smtplib, 1 process",
        baseline_rps=result.raw_per_s,
        extra={
            "duplicates": str(result.duplicates),
            "lost": str(result.lost),
            "drain_s": f"{result.drain_s:.1f}",
            "checkins": str(result.distinct_checkins),
        },
        target="ratio >= 0.50, 0 duplicates",
    )
    row.met = row.ratio >= 0.5 and result.duplicates == 0
    record(row)
    RUN.growth_p95.setdefault("dispatch", {})[site.cases] = result.p95_ms
    assert (result.duplicates, result.lost) == (0, 0)


def test_ten_thousand_due_check_ins_against_raw_smtplib(full_site: Site) -> None:
    record_drain(full_site, "dispatch")
