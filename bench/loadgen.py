"""Load generators: wrk when installed (Debian package), else a Python keep-alive client."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from urllib.parse import urlsplit


def wrk_rps(url: str, *, seconds: int, connections: int = 16, threads: int = 2) -> float:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match or "Non-2xx" in out:
        raise RuntimeError(f"wrk did not measure cleanly:\n{out}")
    return float(match.group(1))


def python_rps(url: str, *, seconds: int, connections: int = 8) -> float:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    counts = [0] * connections
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        while time.monotonic() < deadline:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(str(response.status))
                return
            counts[index] += 1
        conn.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    if errors:
        raise RuntimeError(f"non-200 responses: {errors[:5]}")
    return sum(counts) / seconds


def measure(url: str, *, seconds: int) -> tuple[float, str]:
    if shutil.which("wrk"):
        return wrk_rps(url, seconds=seconds), "wrk"
    return python_rps(url, seconds=seconds), "python"
