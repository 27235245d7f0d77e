"""Slot arithmetic, in one place: rules + exceptions + bookings + buffers -> start times.

Rules are wall-clock times in the host's zone. Each day is expanded in that
zone, so a 09:00 rule stays 09:00 local across a daylight-saving change. On the
day of a change a wall time that does not exist (the skipped hour, or half
hour on Lord Howe Island) yields no slot, and a wall time that exists twice
yields one slot, at its first occurrence (``fold=0``); nothing is shifted.

``slot_grid`` returns every candidate start with the reason it cannot be
booked (or ``None``); the booking service asks the same function, so what a
patient is shown and what the service accepts can never disagree. It runs a
constant number of queries (rules, exceptions, bookings) whatever the window.
"""

from __future__ import annotations

import bisect
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AvailabilityRule, Booking, ConsultationType, DateException


class Blocked(models.TextChoices):
    """Why a start time from the weekly rules cannot be booked."""

    PAST = "past", _("This time has passed.")
    NOTICE = "notice", _("This time is too soon: it is inside the minimum booking notice.")
    HORIZON = "horizon", _("This time is too far ahead to book yet.")
    EXCEPTION = "exception", _("The host is not available on this date.")
    BOOKED = "booked", _("That time was just taken.")


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    host_local: datetime  # the same instant on the host's clock
    blocked: Blocked | None = None

    @property
    def is_free(self) -> bool:
        return self.blocked is None

    def local(self, zone: str | zoneinfo.ZoneInfo) -> datetime:
        tz = zone if isinstance(zone, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo(zone)
        return self.start.astimezone(tz)


def wall_to_instant(wall: datetime, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """The instant a naive wall time names in ``zone``; None if the clock skips it.

    An ambiguous wall time (the repeated hour) resolves to its first occurrence.
    """
    aware = wall.replace(tzinfo=zone, fold=0)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None, fold=0)
    if back != wall:
        return None  # in the gap: this wall time never happens on this day
    return aware.astimezone(UTC)


def _steady_offset(first: datetime, last: datetime, zone: zoneinfo.ZoneInfo) -> timedelta | None:
    """The zone's UTC offset if it is the same at both wall times and neither is in a
    gap or a repeated hour; None otherwise (then each time is converted on its own).

    Two offset changes within one availability span (hours) do not happen in the tz
    database, so the same offset at both ends means one offset throughout.
    """
    offsets = set()
    for wall in (first, last):
        instant = wall_to_instant(wall, zone)
        if instant is None or wall.replace(tzinfo=zone, fold=1).utcoffset() != (
            wall.replace(tzinfo=zone, fold=0).utcoffset()
        ):
            return None  # a skipped or repeated wall time: the slow, exact path
        offsets.add(wall.replace(tzinfo=zone).utcoffset())
    return offsets.pop() if len(offsets) == 1 else None


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _rules_on(rules: list[AvailabilityRule], day: date) -> list[AvailabilityRule]:
    return [
        r
        for r in rules
        if r.weekday == day.weekday()
        and (r.valid_from is None or r.valid_from <= day)
        and (r.valid_until is None or day <= r.valid_until)
    ]


def _hits_exception(exceptions: list[DateException], start: time, end: time | None) -> bool:
    for exc in exceptions:
        if exc.whole_day:
            return True
        assert exc.start_time is not None and exc.end_time is not None
        # Wall-time overlap of [start, end) with the exception's [from, until).
        if start < exc.end_time and (end is None or end > exc.start_time):
            return True
    return False


def slot_grid(
    *,
    consultation_type: ConsultationType,
    window_start: datetime,
    window_end: datetime,
    now: datetime | None = None,
    ignore_booking_id: int | None = None,
) -> list[Slot]:
    """Every start the host's rules offer in ``[window_start, window_end)``, each with why
    it cannot be booked (``blocked``) or None. Ordered by start; no duplicates.

    ``ignore_booking_id``: a booking being rescheduled does not block its own new time.
    Queries: three (rules, exceptions, bookings), plus the host if not already loaded.
    """
    now = now or timezone.now()
    ctype = consultation_type
    host = ctype.host
    zone = host.zone
    first_day = window_start.astimezone(zone).date()
    last_day = window_end.astimezone(zone).date()

    rules = list(AvailabilityRule.objects.filter(host_id=host.pk))
    exceptions: dict[date, list[DateException]] = defaultdict(list)
    for exc in DateException.objects.filter(host_id=host.pk, date__range=(first_day, last_day)):
        exceptions[exc.date].append(exc)
    # Bookings whose buffered span could touch a candidate's buffered span.
    reach_before = window_start - ctype.buffer_before
    reach_after = window_end + ctype.duration + ctype.buffer_after
    busy_qs = (
        Booking.objects.active().filter(host_id=host.pk).overlapping(reach_before, reach_after)
    )
    if ignore_booking_id is not None:
        busy_qs = busy_qs.exclude(pk=ignore_booking_id)
    busy = sorted(busy_qs.values_list("blocked_start", "blocked_end"))
    busy_starts = [b_start for b_start, _b_end in busy]
    # The latest end among the spans up to each index, so one bisect answers "busy?"
    # even if two old bookings overlap (possible only if written around the service).
    reach: list[datetime] = []
    for _b_start, b_end in busy:
        reach.append(max(b_end, reach[-1]) if reach else b_end)

    def is_busy(span_start: datetime, span_end: datetime) -> bool:
        # Half-open spans, like tstzrange '[)': a busy span overlaps ours if it starts
        # before our end and ends after our start.
        index = bisect.bisect_left(busy_starts, span_end)
        return index > 0 and reach[index - 1] > span_start

    earliest = now + timedelta(hours=ctype.min_notice_hours)
    latest = now + timedelta(days=ctype.horizon_days)
    step = timedelta(minutes=ctype.slot_step_minutes)
    # Read once: the type's properties build a new timedelta on every call.
    duration, before, after = ctype.duration, ctype.buffer_before, ctype.buffer_after
    slots: dict[datetime, Slot] = {}
    for day in _days(first_day, last_day):
        for rule in _rules_on(rules, day):
            wall = datetime.combine(day, rule.start_time)
            limit = datetime.combine(day, rule.end_time)
            # Where the clock keeps one offset from the rule's start to its end (every day
            # but a change's), each wall time is that offset from UTC: no zone arithmetic
            # per start. On a change's day every start goes through wall_to_instant.
            offset = _steady_offset(wall, limit, zone)
            while wall + duration <= limit:
                if offset is not None:
                    start: datetime | None = (wall - offset).replace(tzinfo=UTC)
                else:
                    start = wall_to_instant(wall, zone)
                wall_now, wall = wall, wall + step
                if start is None or start in slots:
                    continue
                end = start + duration
                if not window_start <= start < window_end:
                    continue
                if offset is not None:
                    end_wall = wall_now + duration
                else:
                    end_wall = end.astimezone(zone).replace(tzinfo=None, fold=0)
                if end_wall > limit:
                    continue  # the day's clock change pushed the end past the rule
                blocked: Blocked | None = None
                if start <= now:
                    blocked = Blocked.PAST
                elif start < earliest:
                    blocked = Blocked.NOTICE
                elif start > latest:
                    blocked = Blocked.HORIZON
                elif _hits_exception(
                    exceptions.get(day, []),
                    wall_now.time(),
                    end_wall.time() if end_wall.date() == day else None,
                ):
                    blocked = Blocked.EXCEPTION
                elif is_busy(start - before, end + after):
                    blocked = Blocked.BOOKED
                slots[start] = Slot(start, end, start.astimezone(zone), blocked)
    return [slots[key] for key in sorted(slots)]


def free_slots(
    *,
    consultation_type: ConsultationType,
    window_start: datetime,
    window_end: datetime,
    now: datetime | None = None,
    ignore_booking_id: int | None = None,
) -> list[Slot]:
    """The bookable starts only (``slot_grid`` without the blocked ones)."""
    return [
        slot
        for slot in slot_grid(
            consultation_type=consultation_type,
            window_start=window_start,
            window_end=window_end,
            now=now,
            ignore_booking_id=ignore_booking_id,
        )
        if slot.is_free
    ]
