"""The check-in from the e-mailed link, as a patient, a mail scanner and an attacker meet it."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent, Notification
from followups import services
from followups.links import stop_token
from followups.models import (
    AdverseEvent,
    CheckInLink,
    CheckInStatus,
    EventStatus,
    ScheduleStatus,
    StaffTask,
)
from followups.services import checkin_link_issue

from .factories import first_checkin, scheduled

pytestmark = pytest.mark.django_db

FEVER_PAGE_2 = {"se_fever": "2", "still_fever": "on", "fever_over_48h": "on"}
QUIET_PAGE_2 = {
    f"se_{e}": "0"
    for e in (
        "site_pain",
        "swelling",
        "redness",
        "bruising",
        "fatigue",
        "fever",
        "headache",
        "nausea",
        "rash",
    )
}


@pytest.fixture
def check_in(personas: Any) -> Any:
    schedule = scheduled(personas.clinic_a, treated_on=timezone.localdate() - dt.timedelta(days=2))
    return first_checkin(schedule)


def open_link(client: Client, check_in: Any) -> str:
    return f"/follow-up/c/{checkin_link_issue(check_in=check_in, notification=None)}/"


def answer_all(client: Client, page2: dict[str, str], last: dict[str, str] | None = None) -> Any:
    page1 = {"pain_now": "4", "pgic": "4", "function_limit": "4"}
    assert client.post("/follow-up/check-in/1/", page1).status_code == 302
    assert client.post("/follow-up/check-in/2/", {**QUIET_PAGE_2, **page2}).status_code == 302
    return client.post("/follow-up/check-in/3/", {"care_visit": "none", **(last or {})})


def test_a_mail_scanners_get_and_head_do_not_use_up_the_link(client: Client, check_in: Any) -> None:
    url = open_link(client, check_in)
    assert Client().head(url).status_code == 200
    assert Client().get(url).status_code == 200
    page = client.get(url)
    assert b"Start the check-in" in page.content
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].endswith("/check-in/1/")
    # The link moved into the session: the pages carry no token and no id.
    assert client.get("/follow-up/check-in/1/").status_code == 200


def test_a_day_two_check_in_with_fever_opens_an_adverse_event_at_once(
    client: Client, check_in: Any, personas: Any
) -> None:
    client.post(open_link(client, check_in))
    response = answer_all(client, FEVER_PAGE_2)
    assert response.status_code == 302 and response["Location"].endswith("/check-in/done/")
    assert b"we have your answers" in client.get("/follow-up/check-in/done/").content
    check_in.refresh_from_db()
    assert check_in.status == CheckInStatus.ANSWERED
    event = AdverseEvent.objects.get()
    assert event.status == EventStatus.OPEN and "fever_over_48h" in event.reasons
    kinds = list(Notification.objects.filter(about_id=str(event.pk)).values_list("kind", flat=True))
    assert "followups.adverse_event_staff" in kinds
    assert "followups.adverse_event_clinic" in kinds
    # What was saved is audited by field names, never values.
    saved = AuditEvent.objects.filter(action="followups.answer_saved").first()
    assert saved is not None and "fields" in saved.data and "4" not in str(saved.data)


def test_answers_are_saved_page_by_page_and_come_back_on_a_new_link(
    client: Client, check_in: Any
) -> None:
    client.post(open_link(client, check_in))
    client.post("/follow-up/check-in/1/", {"pain_now": "6", "pgic": "4", "function_limit": "5"})
    # The connection drops; the patient opens the reminder's link on another phone.
    other = Client()
    other.post(open_link(other, check_in))
    page = other.get("/follow-up/check-in/1/").content.decode()
    checked = re.findall(r'<input type="radio" name="(\w+)" value="(\d+)"[^>]*checked', page)
    assert set(checked) == {("pain_now", "6"), ("pgic", "4"), ("function_limit", "5")}


def test_a_worsening_answer_makes_a_task_due_within_a_day(client: Client, check_in: Any) -> None:
    client.post(open_link(client, check_in))
    # Pain unchanged from the intake (7), but a severe side effect and a doctor's visit.
    client.post("/follow-up/check-in/1/", {"pain_now": "7", "pgic": "5", "function_limit": "6"})
    client.post("/follow-up/check-in/2/", {**QUIET_PAGE_2, "se_nausea": "3"})
    client.post("/follow-up/check-in/3/", {"care_visit": "doctor", "contact_me": "on"})
    tasks = {t.kind: t for t in StaffTask.objects.all()}
    assert set(tasks) == {"review", "contact"} and AdverseEvent.objects.count() == 0
    assert set(tasks["review"].reasons) == {"grade_3", "doctor_visit"}
    assert tasks["review"].due_at <= timezone.now() + dt.timedelta(hours=24)


@pytest.mark.parametrize("mangle", ["tampered", "expired", "answered", "ended"])
def test_a_bad_link_is_refused_with_no_data(client: Client, check_in: Any, mangle: str) -> None:
    raw = checkin_link_issue(check_in=check_in, notification=None)
    if mangle == "tampered":
        raw = raw[:-2] + ("AA" if not raw.endswith("AA") else "BB")
    elif mangle == "expired":
        CheckInLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif mangle == "answered":
        c = Client()
        c.post(f"/follow-up/c/{raw}/")
        answer_all(c, {})
    elif mangle == "ended":
        check_in.schedule.status = ScheduleStatus.ENDED
        check_in.schedule.save()
    for method in ("get", "post"):
        response = getattr(client, method)(f"/follow-up/c/{raw}/")
        assert response.status_code == 404
        body = response.content.decode()
        assert "This link does not work" in body
        assert check_in.schedule.case.reference not in body
        assert check_in.schedule.clinic.name not in body


@pytest.mark.usefixtures("rate_window")
def test_ten_thousand_random_links_find_nothing_and_are_rate_limited(
    client: Client, check_in: Any, figure: Any, caplog: Any
) -> None:
    """GIVEN a live check-in link WHEN an attacker tries 10,000 random tokens THEN none opens
    anything; over HTTP the client is cut off after 30 a minute and no page shows data."""
    import logging
    import time

    caplog.set_level(logging.ERROR, logger="django.request")
    started = time.monotonic()
    found = sum(
        1
        for _n in range(10_000)
        if services.checkin_for_link(secrets.token_urlsafe(32)) is not None
    )
    lookup_s = time.monotonic() - started
    statuses: dict[int, int] = {}
    reference = check_in.schedule.case.reference
    for _n in range(300):
        response = client.get(f"/follow-up/c/{secrets.token_urlsafe(32)}/")
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert reference.encode() not in response.content
    assert found == 0
    assert statuses == {404: 30, 429: 270}  # 30 a minute per client, then refused
    figure(
        "followups.random_links",
        tried=10_000,
        found=found,
        lookup_s=f"{lookup_s:.1f}",
        http_tried=300,
        http_limited=statuses[429],
    )


def test_the_patient_can_pause_and_one_click_unsubscribe(client: Client, check_in: Any) -> None:
    schedule = check_in.schedule
    token = stop_token(schedule)
    page = client.get(f"/follow-up/stop/{token}/")
    assert page.status_code == 200 and b"Pause check-ins" in page.content
    client.post(f"/follow-up/stop/{token}/", {"choice": "paused"})
    schedule.refresh_from_db()
    assert schedule.status == ScheduleStatus.PAUSED
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(
        f"/follow-up/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 204
    schedule.refresh_from_db()
    assert schedule.status == ScheduleStatus.STOPPED
    assert client.get(f"/follow-up/stop/{token[:-3]}xyz/").status_code == 404


def test_a_clinic_sees_and_rates_only_its_own_patients_events(
    client: Client, check_in: Any, personas: Any
) -> None:
    client.post(open_link(client, check_in))
    answer_all(client, FEVER_PAGE_2)
    event = AdverseEvent.objects.get()
    reference = check_in.schedule.case.reference
    other = Client()
    other.force_login(personas.clinic_b_staff)
    for url in (f"/portal/follow-ups/events/{event.pk}/", "/portal/follow-ups/events/"):
        response = other.get(url)
        assert reference.encode() not in response.content
    assert other.get(f"/portal/follow-ups/events/{event.pk}/").status_code == 404
    assert (
        other.post(
            f"/portal/follow-ups/events/{event.pk}/", {"relatedness": "unlikely"}
        ).status_code
        == 404
    )
    own = Client()
    own.force_login(personas.clinic_a_staff)
    assert reference.encode() in own.get("/portal/follow-ups/events/").content
    own.post(f"/portal/follow-ups/events/{event.pk}/", {"relatedness": "possible"})
    event.refresh_from_db()
    assert event.clinic_relatedness == "possible" and event.clinic_rated_at is not None


def test_staff_cannot_close_an_event_before_grading_it(
    client: Client, check_in: Any, personas: Any
) -> None:
    c = Client()
    c.post(open_link(c, check_in))
    answer_all(c, FEVER_PAGE_2)
    event = AdverseEvent.objects.get()
    client.force_login(personas.concierge)
    listing = client.get("/admin/followups/adverseevent/").content.decode()
    assert check_in.schedule.case.reference in listing
    client.post(
        "/admin/followups/adverseevent/",
        {"action": "close_selected", "_selected_action": [event.pk]},
    )
    event.refresh_from_db()
    assert event.status == EventStatus.OPEN
    url = f"/admin/followups/adverseevent/{event.pk}/change/"
    incomplete = client.post(url, {"ctcae_grade": "2"})
    assert incomplete.status_code == 200 and b"Required to grade the event" in incomplete.content
    client.post(
        url,
        {
            "ctcae_grade": "2",
            "relatedness": "possible",
            "outcome": "recovered",
            "action_taken": "Called; antibiotics started by the clinic.",
        },
    )
    client.post(
        "/admin/followups/adverseevent/",
        {"action": "close_selected", "_selected_action": [event.pk]},
    )
    event.refresh_from_db()
    assert event.status == EventStatus.CLOSED and event.graded_by == personas.concierge
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"followups.adverse_event_graded", "followups.adverse_event_closed"} <= actions


def test_the_clinic_portal_lists_its_adverse_events_and_refuses_another_clinics(
    client: Client, check_in: Any, personas: Any
) -> None:
    c = Client()
    c.post(open_link(c, check_in))
    answer_all(c, FEVER_PAGE_2)
    reference = check_in.schedule.case.reference
    client.force_login(personas.clinic_a_staff)
    own = client.get(f"/portal/follow-ups/{personas.clinic_a.slug}/events/")
    assert own.status_code == 200 and reference.encode() in own.content
    other = client.get(f"/portal/follow-ups/{personas.clinic_b.slug}/events/")
    assert other.status_code == 404 and reference.encode() not in other.content
    # The portal's own pages link to it, and to the shared cases (registered, not hard-coded).
    home = client.get(f"/portal/{personas.clinic_a.slug}/").content.decode()
    assert f"/portal/follow-ups/{personas.clinic_a.slug}/events/" in home
    assert "/portal/cases/" in home
