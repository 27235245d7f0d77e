"""Load with wrk (the Debian package) through ``bench/wrk.lua``; one result per run.

Why wrk: a C event loop that keeps connections alive and needs a few per cent of a
core for thousands of requests a second, so on this two-core machine the load
generator takes little from the two gunicorn workers it measures. Its Lua hook
prints the 95th percentile (``latency:percentile(95)``) and the error counts, posts
a file body (the upload scenario), and rotates session cookies. locust would spend
more CPU generating load than the portal spends answering it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk.lua")
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))


class LoadError(RuntimeError):
    """The load tool is missing or the server did not answer cleanly."""


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadError("wrk is not installed: `apt-get install -y wrk` (make bench does this).")
    return path


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    url: str,
    *,
    seconds: int = SECONDS,
    connections: int = 16,
    threads: int = 2,
    method: str = "GET",
    cookies: list[str] | None = None,
    headers: dict[str, str] | None = None,
    body: Path | None = None,
    timeout_s: int = 30,
) -> Load:
    """Load ``url`` for ``seconds``; any error or non-2xx/3xx answer fails the run."""
    env = {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_COOKIES": "|".join(cookies or []),
        "BENCH_HEADERS": "|".join(f"{k}: {v}" for k, v in (headers or {}).items()),
        "BENCH_BODY": str(body) if body else "",
    }
    argv = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(SCRIPT),
        url,
    ]
    out = subprocess.run(
        argv, capture_output=True, text=True, env=env, check=False, timeout=seconds + timeout_s + 60
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise LoadError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    failures = {k: data[k] for k in ("connect", "read", "write", "status", "timeout") if data[k]}
    if failures or not data["requests"]:
        raise LoadError(f"{url}: {data['requests']} requests, errors {failures}\n{out.stdout}")
    return Load(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
