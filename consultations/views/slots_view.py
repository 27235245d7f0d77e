"""The slot picker's data: a week of free starts, grouped by day on the viewer's clock."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format

from ..forms import slot_value
from ..models import ConsultationType
from ..presenters import two_clocks
from ..slots import Slot, free_slots

DAYS_PER_PAGE = 7


@dataclass
class SlotChoice:
    value: str
    time: str  # on the viewer's clock
    label: str  # both clocks, for screen readers and the confirmation


@dataclass
class SlotDay:
    label: str
    choices: list[SlotChoice] = field(default_factory=list)


@dataclass
class SlotWeek:
    days: list[SlotDay]
    first: date
    previous: date | None
    next: date | None
    count: int


def _first_day(raw: str | None, today: date) -> date:
    try:
        chosen = date.fromisoformat(raw or "")
    except ValueError:
        return today
    return max(today, min(chosen, today + timedelta(days=400)))


def slot_week(
    ctype: ConsultationType,
    *,
    viewer_zone: str,
    start: str | None = None,
    ignore_booking_id: int | None = None,
) -> SlotWeek:
    """Seven days of free starts from ``start`` (ISO date on the viewer's clock), grouped by day."""
    zone = zoneinfo.ZoneInfo(viewer_zone)
    today = timezone.now().astimezone(zone).date()
    first = _first_day(start, today)
    window_start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    window_end = datetime.combine(
        first + timedelta(days=DAYS_PER_PAGE), datetime.min.time(), tzinfo=zone
    )
    slots = free_slots(
        consultation_type=ctype,
        window_start=window_start,
        window_end=window_end,
        ignore_booking_id=ignore_booking_id,
    )
    days = group_by_day(slots, viewer_zone=viewer_zone, ctype=ctype)
    horizon_end = (timezone.now() + timedelta(days=ctype.horizon_days)).astimezone(zone).date()
    following = first + timedelta(days=DAYS_PER_PAGE)
    return SlotWeek(
        days=days,
        first=first,
        previous=max(today, first - timedelta(days=DAYS_PER_PAGE)) if first > today else None,
        next=following if following <= horizon_end else None,
        count=len(slots),
    )


def group_by_day(slots: list[Slot], *, viewer_zone: str, ctype: ConsultationType) -> list[SlotDay]:
    zone = zoneinfo.ZoneInfo(viewer_zone)
    days: dict[date, SlotDay] = {}
    for slot in slots:
        mine = slot.start.astimezone(zone)
        day = days.setdefault(mine.date(), SlotDay(date_format(mine, "l j F")))
        day.choices.append(
            SlotChoice(
                value=slot_value(slot),
                time=date_format(mine, "H:i"),
                label=two_clocks(slot.start, viewer_zone=viewer_zone, host=ctype.host),
            )
        )
    return list(days.values())
