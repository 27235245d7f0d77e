"""Start one Celery worker for one queue: ``python -m config.worker default|mail|files``.

Production runs a worker per queue (docs/deploy.md, "Processes"), each with its
own concurrency, so the health canary and a staff alert (default queue) never
wait behind a batch of mail or a zip being built. The queue names come from the
settings (``CELERY_QUEUE``), the pool from ``WORKER_POOL`` (threads for mail, processes
for the rest) and the concurrency from ``WORKER_CONCURRENCY_<ROLE>``;
extra arguments are passed on to ``celery worker``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROLES = ("default", "mail", "files")


def worker_argv(role: str, extra: list[str] | None = None) -> list[str]:
    """The ``celery worker`` command line for ``role`` (Django settings must be loaded)."""
    from django.conf import settings

    queues = {
        "default": settings.CELERY_TASK_DEFAULT_QUEUE,
        "mail": settings.CELERY_MAIL_QUEUE,
        "files": settings.CELERY_FILES_QUEUE,
    }
    if role not in queues:
        raise SystemExit(f"usage: python -m config.worker {{{'|'.join(ROLES)}}} [celery options]")
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    return [
        celery,
        "-A",
        "config",
        "worker",
        "-Q",
        queues[role],
        "--pool",
        str(settings.WORKER_POOL[role]),
        "--concurrency",
        str(settings.WORKER_CONCURRENCY[role]),
        # One name per role and machine: `celery inspect` and /healthz logs say which is which.
        "-n",
        f"{role}@%h",
        "--loglevel",
        str(settings.LOGGING["root"]["level"]),  # type: ignore[index]
        *(extra or []),
    ]


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()
    command = worker_argv(argv[0] if argv else "", argv[1:])
    os.execv(command[0], command)  # noqa: S606 - our own celery, fixed arguments


if __name__ == "__main__":
    main(sys.argv[1:])
