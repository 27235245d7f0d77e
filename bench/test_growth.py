"""Cost of growth: the directory, the admin list and the dispatcher on a small data set
(BENCH_GROWTH_CASES, default 1,000 cases), beside the full run's figures."""

from __future__ import annotations

from .report import RUN
from .scenarios import against_bare
from .site import Site, prepare
from .test_dispatch import record_drain
from .test_pages import ADMIN_LIST, ADMIN_LIST_PARTS, DIRECTORY


def test_the_same_scenarios_on_a_small_data_set(small_site: Site) -> None:
    tag = f"{small_site.cases}"
    row, _ = against_bare(
        small_site, scenario=f"directory@{tag}", what=f"GET {DIRECTORY}", path=DIRECTORY
    )
    RUN.growth_p95.setdefault("directory", {})[small_site.cases] = row.p95_ms
    account = prepare(small_site.database, "staff")
    cookie = small_site.sign_in(account["email"], account["password"])
    row, _ = against_bare(
        small_site,
        scenario=f"admin_list@{tag}",
        what=f"GET {ADMIN_LIST}",
        path=ADMIN_LIST,
        cookie=cookie,
        parts=ADMIN_LIST_PARTS,
    )
    RUN.growth_p95.setdefault("admin_list", {})[small_site.cases] = row.p95_ms
    record_drain(small_site, f"dispatch@{tag}")
