from __future__ import annotations

from celery import shared_task

from .health import heartbeat_record


@shared_task(ignore_result=True, expires=120)
def canary(source: str) -> None:
    """Prove a worker consumes the queue: stamp the heartbeat named ``source``."""
    heartbeat_record(name=source)
