"""One worker per queue: `python -m config.worker <role>` consumes only its queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from config.worker import worker_argv
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def test_each_role_gets_its_queue_its_concurrency_and_a_name_of_its_own(settings: Any) -> None:
    settings.WORKER_CONCURRENCY = {"default": 2, "mail": 6, "files": 1}
    argv = worker_argv("mail", ["--prefetch-multiplier", "1"])
    assert argv[1:] == [
        "-A",
        "config",
        "worker",
        "-Q",
        settings.CELERY_MAIL_QUEUE,
        "--pool",
        "threads",
        "--concurrency",
        "6",
        "-n",
        "mail@%h",
        "--loglevel",
        settings.LOGGING["root"]["level"],
        "--prefetch-multiplier",
        "1",
    ]
    assert worker_argv("files")[worker_argv("files").index("-Q") + 1] == settings.CELERY_FILES_QUEUE
    assert worker_argv("default")[5] == settings.CELERY_TASK_DEFAULT_QUEUE
    files = worker_argv("files")
    assert files[files.index("--pool") + 1] == "prefork"
    with pytest.raises(SystemExit, match=r"default\|mail\|files"):
        worker_argv("beat")


@pytest.fixture
def workers() -> Iterator[str]:
    """Three worker processes on a queue family of their own, started as production does."""
    require(bool(settings.REDIS_URL), "separate worker processes need a real broker: REDIS_URL")
    queue = f"deploy-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_QUEUE": queue,
        "WORKER_CONCURRENCY_DEFAULT": "1",
        "WORKER_CONCURRENCY_MAIL": "3",
        "WORKER_CONCURRENCY_FILES": "2",
    }
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "config.worker",
                role,
                "--pool",
                "threads",
                "-n",
                f"{role}-{queue}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for role in ("default", "mail", "files")
    ]
    try:
        yield queue
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.services
def test_three_worker_processes_each_consume_only_their_own_queue(workers: str) -> None:
    """GIVEN `python -m config.worker default|mail|files` started as three processes
    THEN each consumes exactly its queue (<q>, <q>.mail, <q>.files) at its concurrency."""
    from config.celery_app import app

    queue = workers
    names = {f"{role}-{queue}@" for role in ("default", "mail", "files")}
    seen: dict[str, Any] = {}
    stats: dict[str, Any] = {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        inspector = app.control.inspect(timeout=2)
        seen = {
            n: q
            for n, q in (inspector.active_queues() or {}).items()
            if any(n.startswith(p) for p in names)
        }
        if len(seen) == 3:
            stats = {n: s for n, s in (inspector.stats() or {}).items() if n in seen}
            break
        time.sleep(1)
    assert len(seen) == 3, f"workers that answered: {sorted(seen)}"

    by_role = {name.split("-", 1)[0]: name for name in seen}
    expected = {"default": (queue, 1), "mail": (f"{queue}.mail", 3), "files": (f"{queue}.files", 2)}
    for role, (queue_name, concurrency) in expected.items():
        node = by_role[role]
        assert [q["name"] for q in seen[node]] == [queue_name]
        assert stats[node]["pool"]["max-concurrency"] == concurrency
