"""The patient's pages: the case-page panel, booking, and the e-mailed reschedule/cancel link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from consultations.forms import slot_value
from consultations.models import Booking, BookingLink, BookingStatus
from consultations.services import booking_create, booking_link_issue
from consultations.slots import Slot
from intake.models import Case
from tests.conftest import Personas

from .conftest import Calendars, host_time
from .factories import share

pytestmark = pytest.mark.django_db


def _value(start: dt.datetime) -> str:
    return slot_value(Slot(start, start, start))


def _book(case: Case, calendars: Calendars, days: int = 3, hour: int = 10) -> Booking:
    return booking_create(
        case=case,
        consultation_type=calendars.concierge_call,
        start=host_time(calendars.concierge, days, hour),
        acting_user=None,
    )


def test_the_case_page_offers_the_free_concierge_consultation_first(
    alice_case: Case, calendars: Calendars, case_client: Callable[[Case], Client]
) -> None:
    client = case_client(alice_case)
    page = client.get(f"/intake/case/{alice_case.reference}/").content.decode()
    assert 'id="consultations"' in page
    assert "Book your free concierge consultation" in page
    choose = client.get(f"/consultations/case/{alice_case.reference}/book/").content.decode()
    assert "Concierge call" in choose
    assert "Beta video call" not in choose  # not shared with Beta
    share(alice_case, calendars.clinic_b.clinic)  # type: ignore[arg-type]
    choose = client.get(f"/consultations/case/{alice_case.reference}/book/").content.decode()
    assert "Beta video call" in choose


def test_the_slot_picker_shows_the_patients_clock_with_the_hosts_beside_it(
    alice_case: Case, calendars: Calendars, case_client: Callable[[Case], Client]
) -> None:
    client = case_client(alice_case)
    client.cookies["tz"] = "America/Bogota"
    url = f"/consultations/case/{alice_case.reference}/book/{calendars.concierge_call.pk}/"
    page = client.get(url).content.decode()
    assert "your time - " in page and " in Madrid" in page
    assert "(America/Bogota)" in page


def test_a_patient_books_with_a_question_and_sees_it_on_the_case_page(
    alice_case: Case, calendars: Calendars, case_client: Callable[[Case], Client]
) -> None:
    client = case_client(alice_case)
    start = host_time(calendars.concierge, 3, 10)
    url = f"/consultations/case/{alice_case.reference}/book/{calendars.concierge_call.pk}/"
    response = client.post(url, {"start": _value(start), "question": "Is my knee too far gone?"})
    assert response.status_code == 302, response.content[:600]
    booking = Booking.objects.get()
    assert booking.question == "Is my knee too far gone?" and booking.start_at == start
    page = client.get(response["Location"]).content.decode()
    assert "Concierge call" in page and "Reschedule or cancel" in page


def test_a_taken_time_answers_409_with_fresh_times(
    alice_case: Case,
    bob_case: Case,
    calendars: Calendars,
    case_client: Callable[[Case], Client],
) -> None:
    _book(bob_case, calendars)
    client = case_client(alice_case)
    url = f"/consultations/case/{alice_case.reference}/book/{calendars.concierge_call.pk}/"
    response = client.post(url, {"start": _value(host_time(calendars.concierge, 3, 10))})
    assert response.status_code == 409
    body = response.content.decode()
    assert "just taken" in body and "Free times now" in body
    assert Booking.objects.count() == 1


def test_another_patients_booking_is_not_found_from_my_case(
    alice_case: Case,
    bob_case: Case,
    calendars: Calendars,
    case_client: Callable[[Case], Client],
) -> None:
    bobs = _book(bob_case, calendars)
    client = case_client(alice_case)
    for url in (
        f"/consultations/case/{alice_case.reference}/{bobs.pk}/",
        f"/consultations/case/{bob_case.reference}/{bobs.pk}/",
        f"/consultations/case/{bob_case.reference}/book/",
    ):
        response = client.get(url)
        assert response.status_code == 404
        body = response.content.decode()  # (the language switcher echoes the typed path)
        assert bob_case.patient.full_name not in body and "Concierge call" not in body
    response = client.post(
        f"/consultations/case/{alice_case.reference}/{bobs.pk}/cancel/", {"reason": "not mine"}
    )
    assert response.status_code == 404
    bobs.refresh_from_db()
    assert bobs.status == BookingStatus.CONFIRMED


def test_a_clinic_the_case_is_not_shared_with_cannot_be_booked_from_the_page(
    alice_case: Case, calendars: Calendars, case_client: Callable[[Case], Client]
) -> None:
    client = case_client(alice_case)
    url = f"/consultations/case/{alice_case.reference}/book/{calendars.clinic_b_call.pk}/"
    assert client.get(url).status_code == 404
    response = client.post(url, {"start": _value(host_time(calendars.clinic_b, 3, 10))})
    assert response.status_code == 404
    assert not Booking.objects.exists()


# --- The e-mailed link -------------------------------------------------------------------
def test_the_link_shows_the_booking_and_a_get_changes_nothing(
    alice_case: Case, calendars: Calendars
) -> None:
    booking = _book(alice_case, calendars)
    token = booking_link_issue(booking=booking)
    client = Client()
    page = client.get(f"/consultations/b/{token}/")
    assert page.status_code == 200
    assert "Concierge call" in page.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.sequence == 0


def test_the_patient_reschedules_from_the_link_with_a_reason(
    alice_case: Case, calendars: Calendars
) -> None:
    booking = _book(alice_case, calendars)
    token = booking_link_issue(booking=booking)
    new = host_time(calendars.concierge, 4, 12)
    response = Client().post(
        f"/consultations/b/{token}/reschedule/", {"start": _value(new), "reason": "Work trip"}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.start_at == new and booking.sequence == 1
    refused = Client().post(
        f"/consultations/b/{token}/reschedule/",
        {"start": _value(host_time(calendars.concierge, 4, 13))},
    )
    assert refused.status_code == 400  # no reason given


@pytest.mark.parametrize("how", ["tampered", "expired", "revoked", "unknown", "over"])
def test_a_bad_link_is_refused_with_no_data(
    alice_case: Case, calendars: Calendars, how: str
) -> None:
    booking = _book(alice_case, calendars)
    token = booking_link_issue(booking=booking)
    if how == "tampered":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif how == "expired":
        BookingLink.objects.update(
            expires_at=timezone.now() - dt.timedelta(seconds=1),
            created_at=timezone.now() - dt.timedelta(days=1),
        )
    elif how == "revoked":
        BookingLink.objects.update(revoked_at=timezone.now())
    elif how == "unknown":
        token = "x" * 43
    elif how == "over":
        Booking.objects.update(status=BookingStatus.CANCELLED)
    client = Client()
    for response in (
        client.get(f"/consultations/b/{token}/"),
        client.post(f"/consultations/b/{token}/cancel/", {"reason": "x"}),
    ):
        assert response.status_code == 404
        assert alice_case.reference not in response.content.decode()
        assert alice_case.patient.full_name not in response.content.decode()
        assert "Concierge call" not in response.content.decode()


def test_one_patients_link_never_reaches_another_patients_booking(
    alice_case: Case, bob_case: Case, calendars: Calendars
) -> None:
    alices = _book(alice_case, calendars)
    bobs = _book(bob_case, calendars, hour=11)
    token = booking_link_issue(booking=alices)
    page = Client().get(f"/consultations/b/{token}/").content.decode()
    assert bob_case.reference not in page and bob_case.patient.full_name not in page
    # Nothing in the form names a booking: posting Bob's id changes only Alice's booking.
    Client().post(
        f"/consultations/b/{token}/cancel/", {"reason": "x", "booking": bobs.pk, "pk": bobs.pk}
    )
    bobs.refresh_from_db()
    alices.refresh_from_db()
    assert bobs.status == BookingStatus.CONFIRMED
    assert alices.status == BookingStatus.CANCELLED


def test_cancelling_inside_the_notice_is_refused_with_the_reason_why(
    alice_case: Case, calendars: Calendars, personas: Personas
) -> None:
    booking = _book(alice_case, calendars)
    calendars.concierge_call.min_change_notice_hours = 24 * 30
    calendars.concierge_call.save()
    token = booking_link_issue(booking=booking)
    response = Client().post(f"/consultations/b/{token}/cancel/", {"reason": "ill"})
    assert response.status_code == 400
    assert "can no longer be changed online" in response.content.decode()
    page = Client().get(f"/consultations/b/{token}/").content.decode()
    assert 'id="too-late"' in page and 'id="cancel-submit"' not in page
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_document_uploaded_with_the_booking_is_sanitised_into_the_case_and_attached(
    alice_case: Case, calendars: Calendars, case_client: Callable[[Case], Client]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.intake.files import pdf_bytes

    client = case_client(alice_case)
    before = alice_case.documents.count()
    url = f"/consultations/case/{alice_case.reference}/book/{calendars.concierge_call.pk}/"
    response = client.post(
        url,
        {
            "start": _value(host_time(calendars.concierge, 3, 10)),
            "doc_type": "lab",
            "upload": SimpleUploadedFile("bloods.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    assert response.status_code == 302, response.content[:500]
    booking = Booking.objects.get()
    assert booking.document is not None and booking.document.case_id == alice_case.pk
    assert booking.document.doc_type == "lab"
    assert alice_case.documents.count() == before + 1


def test_a_refused_upload_books_nothing(
    alice_case: Case, calendars: Calendars, case_client: Callable[[Case], Client]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = case_client(alice_case)
    url = f"/consultations/case/{alice_case.reference}/book/{calendars.concierge_call.pk}/"
    response = client.post(
        url,
        {
            "start": _value(host_time(calendars.concierge, 3, 10)),
            "doc_type": "lab",
            "upload": SimpleUploadedFile("run.exe", b"MZ\x90\x00" * 64, "application/pdf"),
        },
    )
    assert response.status_code == 400
    assert not Booking.objects.exists()
