"""Follow-ups models. ``from followups.models import X`` works for every model here."""

from __future__ import annotations

from .answers import CheckInAnswer
from .events import (
    AdverseEvent,
    EventOutcome,
    EventStatus,
    Relatedness,
    StaffTask,
    TaskKind,
    TaskStatus,
)
from .links import CheckInLink, hash_token
from .schedule import (
    OPEN_CHECKIN_STATUSES,
    CheckIn,
    CheckInStatus,
    FollowUpSchedule,
    ScheduleStatus,
    ScheduleTemplate,
)

__all__ = [
    "OPEN_CHECKIN_STATUSES",
    "AdverseEvent",
    "CheckIn",
    "CheckInAnswer",
    "CheckInLink",
    "CheckInStatus",
    "EventOutcome",
    "EventStatus",
    "FollowUpSchedule",
    "Relatedness",
    "ScheduleStatus",
    "ScheduleTemplate",
    "StaffTask",
    "TaskKind",
    "TaskStatus",
    "hash_token",
]
