"""Measuring one page against the bare view, the way every page scenario does."""

from __future__ import annotations

from typing import Any

from .loadgen import Load, run_wrk
from .report import Row, record
from .site import Site, status

BARE = "/bench/bare/"
# Sent with every page request and its baseline, as every browser sends it: a page the
# portal keeps compressed (core.public_cache) is served compressed.
BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate, br, zstd"}
WARM_UP = 4  # requests: each gunicorn worker has served the page before it is measured


def check(site: Site, path: str, cookie: str = "") -> None:
    answer = status(site.url(path), cookie=cookie)
    assert answer == 200, f"{path} answered {answer}"


def against_bare(
    site: Site,
    *,
    scenario: str,
    what: str,
    path: str,
    cookie: str = "",
    extra: dict[str, str] | None = None,
    min_ratio: float | None = None,
    parts: dict[str, str] | None = None,
    **load: Any,
) -> tuple[Row, Load]:
    """Warm up, measure the bare view, then ``path``; record and return the row.

    ``parts`` (name -> path) are measured after the page, with its cookie, and reported
    as ``<name>_ratio`` against the same bare view: where the page's time goes.
    """
    for _ in range(WARM_UP):  # one request at a time: templates, pools, caches; no backlog
        check(site, path, cookie)
    cookies = [cookie] if cookie else None
    load["headers"] = {**BROWSER_HEADERS, **load.get("headers", {})}
    bare = run_wrk(site.url(BARE), **load)
    page = run_wrk(site.url(path), cookies=cookies, **load)
    extra = dict(extra or {})
    for name, part in (parts or {}).items():
        check(site, part, cookie)
        done = run_wrk(site.url(part), cookies=cookies, **load)
        extra[f"{name}_ratio"] = f"{done.rps / bare.rps:.2f}" if bare.rps else "0"
    row = Row(
        scenario=scenario,
        what=what,
        rps=page.rps,
        p95_ms=page.p95_ms,
        baseline="bare view",
        baseline_rps=bare.rps,
        extra=extra,
    )
    if min_ratio is not None:
        row.target, row.met = f"ratio >= {min_ratio:.2f}", row.ratio >= min_ratio
    record(row)
    return row, page
