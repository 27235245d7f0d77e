"""The clinic portal's consultations, availability and treatments; the admin's calendars."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from consultations.models import AvailabilityRule, Booking, BookingStatus, Host
from consultations.services import booking_create
from intake.models import Case, ClinicShare
from tests.conftest import Personas

from .conftest import Calendars, host_time
from .factories import share

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _clinic_booking(
    case: Case, calendars: Calendars, personas: Personas, hour: int = 10
) -> Booking:
    share(case, personas.clinic_a)
    return booking_create(
        case=case,
        consultation_type=calendars.clinic_a_call,
        start=host_time(calendars.clinic_a, 3, hour),
        acting_user=personas.concierge,
    )


def test_the_clinic_sees_its_bookings_with_both_clocks_and_the_patients_contact(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    booking = _clinic_booking(alice_case, calendars, personas)
    client = _client(personas.clinic_a_staff)
    listing = client.get("/portal/clinica-alfa/consultations/").content.decode()
    assert alice_case.reference in listing and "for the patient" in listing
    detail = client.get(f"/portal/clinica-alfa/consultations/{booking.pk}/").content.decode()
    assert alice_case.patient.email in detail and "Doctor&#x27;s video call" in detail


def test_the_portal_menu_lists_consultations_availability_and_treatments(
    personas: Personas, calendars: Calendars
) -> None:
    page = _client(personas.clinic_a_staff).get("/portal/clinica-alfa/").content.decode()
    for path in ("consultations/", "availability/", "treatments/"):
        assert f"/portal/clinica-alfa/{path}" in page


def test_another_clinics_staff_get_404_and_no_data(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    booking = _clinic_booking(alice_case, calendars, personas)
    client = _client(personas.clinic_b_staff)
    for url in (
        f"/portal/clinica-alfa/consultations/{booking.pk}/",
        "/portal/clinica-alfa/consultations/",
        f"/portal/beta-cell-center/consultations/{booking.pk}/",
        "/portal/clinica-alfa/availability/",
        f"/portal/clinica-alfa/treatments/plan/{alice_case.reference}/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert alice_case.patient.email not in response.content.decode()
    response = client.post(
        f"/portal/beta-cell-center/consultations/{booking.pk}/cancel/", {"reason": "x"}
    )
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    own = client.get("/portal/beta-cell-center/consultations/?when=all").content.decode()
    assert alice_case.reference not in own


def test_a_revoked_share_hides_the_booking_from_the_clinic(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    booking = _clinic_booking(alice_case, calendars, personas)
    ClinicShare.objects.filter(case=alice_case).update(
        revoked_at=booking.created_at + dt.timedelta(seconds=1)
    )
    client = _client(personas.clinic_a_staff)
    assert client.get(f"/portal/clinica-alfa/consultations/{booking.pk}/").status_code == 404


def test_the_bookings_list_costs_the_same_queries_for_one_or_many(
    calendars: Calendars, personas: Personas
) -> None:
    from tests.intake.factories import CaseFactory

    client = _client(personas.clinic_a_staff)
    url = "/portal/clinica-alfa/consultations/?when=all"
    _clinic_booking(CaseFactory.create(), calendars, personas, hour=9)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for hour in (10, 11, 12, 13, 14):
        _clinic_booking(CaseFactory.create(), calendars, personas, hour=hour)
    with CaptureQueriesContext(connection) as six:
        assert client.get(url).content.decode().count("font-monospace") == 6
    assert len(six) == len(one)


def test_clinic_staff_set_weekly_hours_and_days_off_in_their_zone(
    personas: Personas, calendars: Calendars
) -> None:
    Host.objects.filter(pk=calendars.clinic_a.pk).delete()  # the first hours create the calendar
    client = _client(personas.clinic_a_staff)
    response = client.post(
        "/portal/clinica-alfa/availability/hours/",
        {"weekday": "0", "start_time": "09:00", "end_time": "13:00"},
    )
    assert response.status_code == 302
    host = Host.objects.get(clinic=personas.clinic_a)
    assert str(host.time_zone) == str(personas.clinic_a.time_zone)
    rule = AvailabilityRule.objects.get(host=host)
    assert (rule.weekday, rule.start_time) == (0, dt.time(9))
    overlap = client.post(
        "/portal/clinica-alfa/availability/hours/",
        {"weekday": "0", "start_time": "12:00", "end_time": "14:00"},
    )
    assert overlap.status_code == 400 and "overlap" in overlap.content.decode()
    day_off = client.post(
        "/portal/clinica-alfa/availability/days-off/", {"date": "2030-01-07", "reason": "Holiday"}
    )
    assert day_off.status_code == 302 and host.exceptions.count() == 1


def test_the_admin_lists_calendars_with_filters_and_acts_through_services(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    booking = _clinic_booking(alice_case, calendars, personas)
    client = _client(personas.concierge)
    for query in (
        "",
        "?when=today",
        "?when=week",
        "?when=upcoming",
        f"?host__clinic__id__exact={personas.clinic_a.pk}",
        "?status__exact=confirmed",
    ):
        assert client.get(f"/admin/consultations/booking/{query}").status_code == 200
    page = client.get(f"/admin/consultations/booking/{booking.pk}/change/").content.decode()
    assert alice_case.reference in page and "Cancel" in page
    response = client.post(
        f"/admin/consultations/booking/{booking.pk}/act/cancel/", {"reason": "Doctor away"}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.events.last().actor == personas.concierge  # type: ignore[union-attr]


def test_the_admin_list_pins_its_queries(
    calendars: Calendars,
    personas: Personas,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    """The same 12 queries (session, user, groups, filters, count, page) for 1 row or 8."""
    from tests.intake.factories import CaseFactory

    client = _client(personas.concierge)
    _clinic_booking(CaseFactory.create(), calendars, personas, hour=8)
    client.get("/admin/consultations/booking/")
    with django_assert_num_queries(12):
        client.get("/admin/consultations/booking/")
    for hour in range(9, 16):
        _clinic_booking(CaseFactory.create(), calendars, personas, hour=hour)
    with django_assert_num_queries(12):
        assert client.get("/admin/consultations/booking/").status_code == 200


def test_clinic_staff_cannot_open_the_admin_calendar(personas: Personas) -> None:
    response = _client(personas.clinic_a_staff).get("/admin/consultations/booking/")
    assert response.status_code in (302, 403)


def test_concierge_hours_edited_in_the_admin_are_audited(
    calendars: Calendars, personas: Personas
) -> None:
    from core.models import AuditEvent

    host = calendars.concierge
    client = _client(personas.concierge)
    url = f"/admin/consultations/host/{host.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "kind": host.kind,
            "user": host.user_id,
            "name": "Carmen (Madrid)",
            "time_zone": "Europe/Madrid",
            "is_active": "on",
        }
    )
    for formset in page.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update(
            {
                f"{fs.prefix}-TOTAL_FORMS": str(fs.total_form_count()),
                f"{fs.prefix}-INITIAL_FORMS": str(fs.initial_form_count()),
                f"{fs.prefix}-MIN_NUM_FORMS": "0",
                f"{fs.prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for index, inline in enumerate(fs.forms):
            for name, field in inline.fields.items():
                value = inline.initial.get(name, field.initial)
                if value is None or value is False:
                    continue
                data[f"{fs.prefix}-{index}-{name}"] = getattr(value, "pk", value)
    data.pop("clinic", None)
    data.pop("doctor", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert AuditEvent.objects.filter(action="consultations.host.changed").exists()


def test_staff_book_for_a_patient_in_the_admin_on_the_hosts_clock(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    client = _client(personas.concierge)
    start = host_time(calendars.concierge, 3, 11)
    local = start.astimezone(calendars.concierge.zone)
    response = client.post(
        "/admin/consultations/booking/add/",
        {
            "case_reference": alice_case.reference,
            "consultation_type": calendars.concierge_call.pk,
            "day": local.date().isoformat(),
            "at": local.strftime("%H:%M"),
            "question": "",
        },
    )
    assert response.status_code == 302, response.content[:800]
    booking = Booking.objects.get()
    assert booking.start_at == start and booking.booked_by == personas.concierge
    refused = client.post(
        "/admin/consultations/booking/add/",
        {
            "case_reference": alice_case.reference,
            "consultation_type": calendars.clinic_b_call.pk,
            "day": local.date().isoformat(),
            "at": "11:00",
        },
    )
    assert refused.status_code == 200 and "Share your case" in refused.content.decode()
