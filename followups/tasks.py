"""Follow-up tasks for beat: short, idempotent sweeps over what the database says is due."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(ignore_result=True, expires=55)
def followups_schedule_new() -> int:
    """Every minute: each completed treatment without a schedule gets exactly one."""
    from .services import schedules_create_due

    made = schedules_create_due()
    if made:
        log.info("follow-ups: %d schedules created", made)
    return made


@shared_task(ignore_result=True, expires=240)
def followups_ladder() -> dict[str, int]:
    """Every few minutes: invited, call tasks, missed, and schedules of withdrawn cases."""
    from .services import checkins_advance

    result = checkins_advance()
    return {
        "invited": result.invited,
        "call_tasks": result.call_tasks,
        "missed": result.missed,
        "ended": result.ended,
    }
