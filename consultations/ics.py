"""Calendar invites (RFC 5545 / iTIP) for bookings, built with ``icalendar``.

- ``METHOD:REQUEST`` for a new or moved booking, ``METHOD:CANCEL`` to cancel.
- ``UID`` is the booking's own uid: stable for the booking's whole life, so a
  calendar updates the one event instead of adding a second.
- ``SEQUENCE`` is the booking's ``sequence``, raised by every reschedule and by
  the cancellation: a calendar applies only a newer one.
- Times are in UTC (``...Z``); the reader's zone is named in ``X-WR-TIMEZONE``
  and the description gives both clocks in words.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC

from django.conf import settings
from django.utils import timezone

from .models import Booking

PRODID = "-//Stem-cell concierge//Consultations//EN"


def booking_uid(booking: Booking) -> str:
    return f"{booking.uid}@{settings.OUTBOX_MESSAGE_ID_DOMAIN}"


def booking_ics(
    booking: Booking, *, method: str, reader_zone: str, summary: str, description: str
) -> bytes:
    """The invite (``method`` REQUEST or CANCEL) as bytes, for an e-mail attachment."""
    # Imported here: only a mail worker writes invites, and icalendar would add about
    # 6 MB to every web process.
    from icalendar import Calendar, Event, vCalAddress, vText

    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    zoneinfo.ZoneInfo(reader_zone)  # refuse a zone name that does not exist
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-timezone", reader_zone)
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", booking.start_at.astimezone(UTC))
    event.add("dtend", booking.end_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    where = booking.location or booking.meeting_url
    if where:
        event.add("location", where)
    if booking.meeting_url:
        event.add("url", booking.meeting_url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = vCalAddress(f"mailto:{settings.CONCIERGE_EMAIL}")
    organizer.params["cn"] = vText(booking.host.name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{booking.case.patient.email}")
    attendee.params["cn"] = vText(booking.case.patient.full_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)
    cal.add_component(event)
    return bytes(cal.to_ical())
