"""The bench: the portal under gunicorn on a large data set, loaded with wrk.

``make bench`` runs ``pytest bench``. It needs PostgreSQL and Redis (``DATABASE_URL``
names the bench's database prefix, default ``portal_bench``; ``REDIS_URL``) and the
Debian ``wrk``. It never touches the test databases: each scale has its own data set,
``<prefix>_<cases>``, made once by ``seed_load`` and reused (``BENCH_FRESH=1``
remakes it). Knobs: ``BENCH_CASES`` (100000), ``BENCH_GROWTH_CASES`` (1000; 0 skips the
cost-of-growth table), ``BENCH_SECONDS`` (8 per measurement).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import figure  # noqa: F401  (the FIGURE lines)
from tests.conftest import pytest_terminal_summary as figures_summary

from . import report
from .loadgen import require_wrk
from .site import Site, data_set, prepare

FULL_CASES = int(os.environ.get("BENCH_CASES", "100000"))
# Pages first, the heavy scenarios after, the small data set last (its own gunicorn).
ORDER = ("test_pages", "test_upload", "test_dispatch", "test_growth")
GROWTH_CASES = int(os.environ.get("BENCH_GROWTH_CASES", "1000"))


def pytest_collection_modifyitems(items: list[Any]) -> None:
    def rank(item: Any) -> int:
        module = item.module.__name__.rsplit(".", 1)[-1]
        return ORDER.index(module) if module in ORDER else len(ORDER)

    items.sort(key=rank)  # stable: each module keeps its own order


@pytest.fixture(scope="session")
def django_db_setup() -> None:
    """No test database: the bench runs on its own data sets (bench/site.py)."""


def _site(cases: int) -> Iterator[Site]:
    require_wrk()  # fail before minutes of seeding, not after
    site = Site(cases=cases, database=data_set(cases))
    site.start()
    try:
        yield site
    finally:
        site.stop()
        shutil.rmtree(site.media, ignore_errors=True)


@pytest.fixture(scope="session")
def full_site() -> Iterator[Site]:
    """gunicorn on the full data set (BENCH_CASES)."""
    report.RUN.cases = FULL_CASES
    yield from _site(FULL_CASES)


@pytest.fixture(scope="session")
def small_site() -> Iterator[Site]:
    """gunicorn on the small data set of the cost-of-growth table."""
    if GROWTH_CASES <= 0:
        pytest.skip("BENCH_GROWTH_CASES=0: no cost-of-growth table")
    yield from _site(GROWTH_CASES)


@pytest.fixture(scope="session")
def targets(full_site: Site) -> dict[str, Any]:
    return dict(prepare(full_site.database, "targets"))


@pytest.fixture(scope="session")
def staff_cookie(full_site: Site) -> str:
    account = prepare(full_site.database, "staff")
    return full_site.sign_in(account["email"], account["password"])


WRITTEN: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def _write_results() -> Iterator[None]:
    yield
    path = report.write()
    if path is not None:
        WRITTEN.append(path)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The results table, then one FIGURE line per scenario."""
    for path in WRITTEN:
        terminalreporter.section("bench results")
        terminalreporter.write_line(path.read_text())
        terminalreporter.write_line(f"(written to {path} and {path.with_name('latest.md')})")
    figures_summary(terminalreporter)
