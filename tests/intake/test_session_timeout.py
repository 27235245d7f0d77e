"""A patient's link-opened session ends after the patient idle limit, like a signed-in one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.sessions import KIND_KEY, SEEN_KEY
from intake.models import Case

pytestmark = pytest.mark.django_db


def _idle(client: Client, seconds: float) -> None:
    session = client.session
    session[SEEN_KEY] = time.time() - seconds
    session.save()


def test_opening_the_case_link_starts_the_patient_clock(
    alice_case: Case, case_client: Callable[[Case], Client]
) -> None:
    client = case_client(alice_case)
    assert client.session[KIND_KEY] == "patient"
    html = client.get(reverse("intake:case", args=[alice_case.reference])).content.decode()
    assert 'id="session-timeout"' in html


def test_the_case_page_closes_after_thirty_idle_minutes_and_forgets_the_link(
    alice_case: Case, case_client: Callable[[Case], Client], settings: Any
) -> None:
    """
    GIVEN Alice opened her case page from the e-mailed link
    WHEN she comes back to it after 29 idle minutes, then after another 31
    THEN the first time it opens, the second time she lands on "you were signed out"
         and the page is a 404 from then on, with none of her data in it
    """
    client = case_client(alice_case)
    page = reverse("intake:case", args=[alice_case.reference])
    _idle(client, 29 * 60)
    assert client.get(page).status_code == 200

    _idle(client, settings.SESSION_IDLE_PATIENT_SECONDS + 60)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:session_ended")
    again = client.get(page)
    assert again.status_code == 404
    assert alice_case.patient.full_name.encode() not in again.content


def test_one_patients_expired_session_never_opens_another_patients_case(
    alice_case: Case, bob_case: Case, case_client: Callable[[Case], Client], settings: Any
) -> None:
    client = case_client(alice_case)
    _idle(client, settings.SESSION_IDLE_PATIENT_SECONDS + 60)
    client.get(reverse("intake:case", args=[alice_case.reference]))
    for case in (alice_case, bob_case):
        response = client.get(reverse("intake:case", args=[case.reference]))
        assert response.status_code == 404
        assert case.patient.full_name.encode() not in response.content
