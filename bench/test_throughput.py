"""Page throughput as ratios to a bare view measured in the same run.

`make bench` seeds the demo into the test database, starts gunicorn with two workers
(as in production) against it, loads each page and prints one `FIGURE` line per page:
requests per second and the ratio to `/robots.txt` (a view with the full middleware stack
and no queries). Absolute numbers depend on the machine; the ratios travel.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from bench.loadgen import measure
from clinics.models import Clinic

ROOT = Path(__file__).resolve().parents[1]
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def gunicorn(transactional_db: None) -> Iterator[str]:
    call_command("seed_demo", verbosity=0)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": _database_url(),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if _status(f"{base}/robots.txt") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_pages_against_a_bare_view(gunicorn: str, figure: Callable[..., None]) -> None:
    """Every public page is measured as a fraction of the bare view's throughput."""
    clinic = Clinic.objects.filter(status="vetted").order_by("name").first()
    assert clinic is not None
    pages = {
        "home": "/",
        "directory": "/clinics/",
        "clinic_profile": f"/clinics/{clinic.slug}/",
        "intake_start": "/intake/",
    }
    bare, tool = measure(f"{gunicorn}/robots.txt", seconds=SECONDS)
    figure("bench_bare_view", rps=f"{bare:.0f}", tool=tool)
    for name, path in pages.items():
        status = _status(f"{gunicorn}{path}")
        assert status == 200, f"{path} answered {status}"
        rps, _ = measure(f"{gunicorn}{path}", seconds=SECONDS)
        figure(f"bench_{name}", rps=f"{rps:.0f}", ratio_to_bare=f"{rps / bare:.2f}", tool=tool)
        assert rps > 0
