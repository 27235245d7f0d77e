"""The booking e-mails and their calendar invites, parsed back with icalendar."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from consultations.models import Booking
from consultations.services import booking_cancel, booking_create, booking_reschedule
from core.models import Notification
from core.notifications.services import outbox_drain
from intake.models import Case
from tests.conftest import Personas

from .conftest import Calendars, host_time

pytestmark = pytest.mark.django_db


def _invites(to: str) -> list[Calendar]:
    found = []
    for message in mail.outbox:
        if message.to != [to]:
            continue
        for name, content, mimetype in message.attachments:
            if name == "invite.ics":
                assert mimetype.startswith("text/calendar; method=")
                found.append(Calendar.from_ical(content))
    return found


def _event(cal: Calendar):  # type: ignore[no-untyped-def]
    (event,) = cal.walk("VEVENT")
    return event


def _book(case: Case, calendars: Calendars) -> Booking:
    return booking_create(
        case=case,
        consultation_type=calendars.concierge_call,
        start=host_time(calendars.concierge, 5, 10),
        acting_user=None,
        patient_time_zone="America/Bogota",
    )


def test_the_invite_carries_utc_times_a_stable_uid_and_a_rising_sequence(
    alice_case: Case, calendars: Calendars
) -> None:
    booking = _book(alice_case, calendars)
    outbox_drain()
    booking_reschedule(
        booking=booking,
        start=host_time(calendars.concierge, 6, 11),
        reason="Clash at work",
        acting_user=None,
    )
    outbox_drain()
    booking.refresh_from_db()
    booking_cancel(booking=booking, reason="Better now", acting_user=None)
    outbox_drain()

    first, update, cancel = _invites(alice_case.patient.email)
    assert str(first["method"]) == "REQUEST" and str(cancel["method"]) == "CANCEL"
    assert str(first["x-wr-timezone"]) == "America/Bogota"
    e1, e2, e3 = _event(first), _event(update), _event(cancel)
    assert str(e1["uid"]) == str(e2["uid"]) == str(e3["uid"])
    assert int(e1.decoded("sequence")) < int(e2.decoded("sequence")) < int(e3.decoded("sequence"))
    start = e1.decoded("dtstart")
    assert start.utcoffset() == dt.timedelta(0)  # UTC, written with a Z
    assert b"DTSTART:" in first.to_ical() and b"Z\r\n" in first.to_ical()
    assert start == host_time(calendars.concierge, 5, 10)
    assert e2.decoded("dtstart") == host_time(calendars.concierge, 6, 11)
    assert str(e3["status"]) == "CANCELLED"


def test_the_host_gets_the_same_news_on_the_hosts_clock(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    _book(alice_case, calendars)
    outbox_drain()
    (host_invite,) = _invites(personas.concierge.email)
    assert str(host_invite["x-wr-timezone"]) == "Europe/Madrid"
    host_mail = next(m for m in mail.outbox if m.to == [personas.concierge.email])
    patient_mail = next(m for m in mail.outbox if m.to == [alice_case.patient.email])
    madrid = host_time(calendars.concierge, 5, 10).astimezone(calendars.concierge.zone)
    bogota = host_time(calendars.concierge, 5, 10).astimezone(ZoneInfo("America/Bogota"))
    assert f"{madrid:%H:%M}" in host_mail.body and "(Europe/Madrid)" in host_mail.body
    assert f"{bogota:%H:%M}" in patient_mail.body and "(America/Bogota)" in patient_mail.body
    assert "/admin/consultations/booking/" in host_mail.body
    assert "/consultations/b/" in patient_mail.body  # the reschedule/cancel link
    assert "/consultations/b/" not in host_mail.body


def test_a_reminder_for_a_moved_booking_is_not_sent(alice_case: Case, calendars: Calendars) -> None:
    booking = _book(alice_case, calendars)
    stale = list(Notification.objects.filter(kind="consultations.booking_reminder"))
    booking_reschedule(
        booking=booking,
        start=host_time(calendars.concierge, 6, 11),
        reason="Clash",
        acting_user=None,
    )
    # Force the old reminders due (as if the cancel had missed them) and send.
    Notification.objects.filter(pk__in=[n.pk for n in stale]).update(
        status="queued", due_at=timezone.now()
    )
    mail.outbox.clear()
    report = outbox_drain()
    assert not [m for m in mail.outbox if "Reminder" in m.subject or "one hour" in m.subject]
    assert report.cancelled >= len(stale)


def test_a_retried_send_revokes_the_link_the_first_try_issued(
    alice_case: Case, calendars: Calendars
) -> None:
    booking = _book(alice_case, calendars)
    outbox_drain()
    patient_mail = next(m for m in mail.outbox if m.to == [alice_case.patient.email])
    found = re.search(r"/consultations/b/([\w-]+)/", str(patient_mail.body))
    assert found is not None
    token = found.group(1)
    row = Notification.objects.get(
        kind="consultations.booking_confirmed", recipient_user__isnull=True
    )
    Notification.objects.filter(pk=row.pk).update(status="queued", due_at=timezone.now())
    outbox_drain()
    assert booking.links.filter(notification_id=row.pk, revoked_at__isnull=True).count() == 1
    from consultations.services import booking_link_lookup

    assert booking_link_lookup(raw_token=token) is None
