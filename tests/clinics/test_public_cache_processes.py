"""The public-page cache across processes: two gunicorn processes each keep their own
copy of the directory (core.page_memo), and a change made by a third process (this
test, through a service) reaches both as soon as it is announced."""

from __future__ import annotations

import contextlib
import gzip
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from clinics.models import Offering
from clinics.services import offering_withdraw
from core import public_cache
from tests.conftest import Personas, require
from tests.core.processes import database_url, free_port, wait_until

from .web_helpers import full_clinic

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[2]
DIRECTORY = "/clinics/"


def fetch(port: int, path: str = DIRECTORY) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        body = answer.read()
        if answer.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return str(body.decode())


@pytest.fixture
def two_processes(settings: object, tmp_path: Path) -> Iterator[list[int]]:
    """Two gunicorn processes of one worker each, on the test's database and Redis."""
    require(connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)")
    require(public_cache._redis() is not None, "needs Redis (REDIS_URL)")
    settings.PUBLIC_PAGE_CACHE = True  # type: ignore[attr-defined]
    cache.clear()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PUBLIC_PAGE_CACHE": "1",
    }
    ports, procs = [free_port(), free_port()], []
    try:
        for port in ports:
            log = (tmp_path / f"gunicorn-{port}.log").open("wb")
            argv = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1"]
            argv += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
            procs.append(
                subprocess.Popen(
                    argv, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True
                )
            )
        for port in ports:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError):
                    fetch(port, "/robots.txt")
                    break
                assert time.monotonic() < deadline, (tmp_path / f"gunicorn-{port}.log").read_text()
                time.sleep(0.2)
        yield ports
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        cache.clear()


def test_a_change_in_one_process_reaches_every_other_process(
    two_processes: list[int], personas: Personas
) -> None:
    """
    GIVEN two web processes that have each read the directory into their own copy
    WHEN staff withdraw an offering through its service, in a third process
    THEN each process serves the directory without it as soon as the change is announced
    """
    clinic = full_clinic(1)
    offering = Offering.objects.filter(clinic=clinic).order_by("title").first()
    assert offering is not None
    for port in two_processes:
        fetch(port)  # starts the process's listener
    time.sleep(2)  # ... which subscribes; from now on what a process reads, it keeps
    for port in two_processes:
        assert offering.title in fetch(port)
    # Spoil the shared entries behind the processes' backs (no announcement): pages
    # that still come out right were served from each process's own copy.
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    spoiled = 0
    for key in client.scan_iter(match=f"*publicpage:{public_cache.ENTRY_FORMAT}:*"):
        entry = cache._cache._serializer.loads(client.get(key))  # type: ignore[attr-defined]
        poison = b"<p>spoiled shared entry</p>"
        entry["content"] = gzip.compress(poison) if entry["encoding"] else poison
        client.set(key, cache._cache._serializer.dumps(entry))  # type: ignore[attr-defined]
        spoiled += 1
    assert spoiled >= 1
    for port in two_processes:
        for _ in range(3):
            assert offering.title in fetch(port)

    offering_withdraw(offering=offering, acting_user=personas.concierge)  # commits

    for port in two_processes:
        # The announcement reaches each process with Redis's answer to the change (a
        # millisecond at most here); from then on no page of the old version is served.
        def changed(port: int = port) -> bool:
            return offering.title not in fetch(port)

        wait_until(changed, timeout=5, what="the change")
        for _ in range(5):
            page = fetch(port)
            assert offering.title not in page
            assert "spoiled" not in page and clinic.name in page
