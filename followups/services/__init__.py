"""Follow-up writes: schedules and the ladder, answering, and what staff do."""

from __future__ import annotations

from .checkins import (
    checkin_for_link,
    checkin_link_issue,
    checkin_links_issue,
    checkin_page_save,
    checkin_submit,
    clinic_addresses,
)
from .schedule import (
    checkins_advance,
    schedule_create,
    schedule_set_preference,
    schedules_create_due,
)
from .staff import (
    adverse_event_clinic_rate,
    adverse_event_close,
    adverse_event_grade,
    checkin_mark_missed,
    checkin_resend,
    staff_task_done,
)

__all__ = [
    "adverse_event_clinic_rate",
    "adverse_event_close",
    "adverse_event_grade",
    "checkin_for_link",
    "checkin_link_issue",
    "checkin_links_issue",
    "checkin_mark_missed",
    "checkin_page_save",
    "checkin_resend",
    "checkin_submit",
    "checkins_advance",
    "clinic_addresses",
    "schedule_create",
    "schedule_set_preference",
    "schedules_create_due",
    "staff_task_done",
]
