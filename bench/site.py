"""The portal under test: a load database per scale and gunicorn serving it.

``data_set(cases)`` makes ``<bench database>_<cases>`` once (migrate, then
``seed_load``) and migrates it again on every run; ``BENCH_FRESH=1`` drops it first.
``Site`` runs gunicorn with two workers on it, with ``bench.settings``.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from followups.load import LOAD_MARK

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/portal_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(cases: int) -> str:
    base = (
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    )
    parts = urllib.parse.urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        raise RuntimeError(f"the bench needs PostgreSQL; DATABASE_URL is {base!r}")
    name = parts.path.lstrip("/") or "portal_bench"
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}_{cases}"))


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_REDIS


def base_env(database: str) -> dict[str, str]:
    """The environment every process of the bench gets (web, workers, prepare)."""
    drop = ("DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_QUEUE", "EMAIL_URL", "TEST_EMAIL_URL")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("OUTBOX_")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database,
        REDIS_URL=redis_url(),
        CACHE_KEY_PREFIX=f"bench-{os.getpid()}",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    return env


def _admin(database: str) -> psycopg.Connection[Any]:
    parts = urllib.parse.urlsplit(database)
    return psycopg.connect(
        urllib.parse.urlunsplit(parts._replace(path="/postgres")), autocommit=True
    )


def manage(database: str, *args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env or base_env(database),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def data_set(cases: int, log: Any = print) -> str:
    """The load database for ``cases``, migrated and seeded; its URL."""
    url = database_url(cases)
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with _admin(url) as admin:
        if os.environ.get("BENCH_FRESH") == "1":
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    log(f"bench: migrating {name}")
    manage(url, "migrate", "--noinput", "-v0")
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT description FROM clinics_clinic WHERE slug = 'load-busy-calendar'"
        ).fetchone()
    if found is not None and found[0] != LOAD_MARK:
        log(f"bench: {name} was made by an older seed_load ({found[0]!r}): making it again")
        with _admin(url) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        manage(url, "migrate", "--noinput", "-v0")
        found = None
    if found is None:
        log(f"bench: seed_load --cases {cases} into {name} (once; minutes)")
        log(manage(url, "seed_load", "--cases", str(cases)))
    return url


def prepare(database: str, action: str, *args: str) -> Any:
    """Run ``bench.prepare`` against ``database``; its JSON answer."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.prepare", action, *args],
        cwd=ROOT,
        env=base_env(database),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"bench.prepare {action} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


@dataclass
class Site:
    """gunicorn with two workers serving ``bench.settings`` on one load database."""

    cases: int
    database: str
    media: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-media-")))
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> None:
        env = base_env(self.database)
        env.update(PRIVATE_MEDIA_ROOT=str(self.media), FILE_UPLOAD_TEMP_DIR=str(self.media))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if status(self.url("/bench/bare/")) == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        master = self.proc.pid
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == master:
                    pids.append(int(stat.parent.name))
        return pids

    def sign_in(self, email: str, password: str) -> str:
        """A staff session through the real sign-in form; its Cookie header."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(self.url("/accounts/login/"), timeout=30).read()
        token = next(c.value for c in jar if c.name == "csrftoken")
        form = urllib.parse.urlencode(
            {"login": email, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        login = self.url("/accounts/login/")
        request = urllib.request.Request(login, data=form, headers={"Referer": login})  # noqa: S310
        opener.open(request, timeout=30).read()
        cookies = {c.name: c.value for c in jar}
        if "sessionid" not in cookies:
            raise RuntimeError("the bench could not sign the staff user in")
        return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"


def status(url: str, *, cookie: str = "") -> int:
    request = urllib.request.Request(  # noqa: S310 - our own server
        url, headers={"Cookie": cookie} if cookie else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - ours
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def post(url: str, body: Path, *, headers: dict[str, str], cookie: str = "") -> int:
    """One POST of ``body``, waited for (a warm-up that leaves no backlog behind)."""
    request = urllib.request.Request(  # noqa: S310 - our own server
        url,
        data=body.read_bytes(),
        method="POST",
        headers={**headers, **({"Cookie": cookie} if cookie else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - ours
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@contextlib.contextmanager
def peak_rss(pids: list[int], every: float = 0.02) -> Iterator[dict[str, float]]:
    """Peak resident memory (MB) of ``pids`` while the block runs: the kernel's high-water
    mark, reset first (``clear_refs``), and sampling as a check where that is refused."""
    result: dict[str, float] = {"peak_mb": 0.0}
    reset = []
    for pid in pids:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            reset.append(pid)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for pid in pids:
                result["peak_mb"] = max(result["peak_mb"], _status_kb(pid, "VmRSS") / 1024)
            stop.wait(every)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        for pid in reset:  # a mark that was not reset would include earlier scenarios
            result["peak_mb"] = max(result["peak_mb"], _status_kb(pid, "VmHWM") / 1024)


def _status_kb(pid: int, key: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    return 0.0
