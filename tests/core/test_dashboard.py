"""The staff dashboard: each number links to a list that shows exactly those rows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from intake.models import CaseStatus
from tests.clinics.factories import CredentialFactory
from tests.intake.factories import CaseFactory

pytestmark = pytest.mark.django_db

TILE = re.compile(
    r'<a class="core-tile[^"]*" href="(?P<url>[^"]+)"[^>]*>.*?'
    r'<span class="core-tile-count">(?P<count>\d+)</span>\s*'
    r'<span class="core-tile-label">(?P<label>[^<]+)</span>',
    re.S,
)


def tiles(client: Client) -> dict[str, tuple[int, str]]:
    body = client.get("/admin/").content.decode()
    return {
        m["label"].strip(): (int(m["count"]), m["url"].replace("&amp;", "&"))
        for m in TILE.finditer(body)
    }


def listed(client: Client, url: str) -> int:
    """How many rows the admin changelist at ``url`` shows."""
    body = client.get(url).content.decode()
    return len(re.findall(r'<input type="checkbox" name="_selected_action"', body))


def test_the_concierge_sees_the_day_at_a_glance(client: Client, personas: Any) -> None:
    CaseFactory.create_batch(2, status=CaseStatus.NEW)
    CaseFactory.create(status=CaseStatus.CLINICIAN_REVIEW, has_hard_contraindication=True)
    CaseFactory.create(status=CaseStatus.CLOSED)
    client.force_login(personas.concierge)
    found = tiles(client)
    assert found["Open cases"][0] == 3
    assert found["Awaiting clinician review"][0] == 1
    assert found["Hard contraindication, still open"][0] == 1
    assert found["New, not yet read"][0] == 2


def test_each_number_links_to_a_list_of_exactly_those_rows(client: Client, personas: Any) -> None:
    CaseFactory.create_batch(3, status=CaseStatus.NEW)
    CaseFactory.create(status=CaseStatus.CLINICIAN_REVIEW)
    CaseFactory.create(status=CaseStatus.IN_REVIEW, owner=personas.concierge)
    today = timezone.localdate()
    CredentialFactory.create(clinic=personas.clinic_a, expires_on=today + dt.timedelta(days=10))
    CredentialFactory.create(clinic=personas.clinic_b, expires_on=today - dt.timedelta(days=3))
    client.force_login(personas.concierge)
    found = tiles(client)
    assert len(found) >= 10
    for label, (count, url) in found.items():
        assert listed(client, url) == count, label


def test_the_dashboard_costs_the_same_at_five_and_fifty_cases(
    client: Client, personas: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(personas.concierge)
    CaseFactory.create_batch(5, status=CaseStatus.NEW)
    client.get("/admin/")
    with django_assert_max_num_queries(40) as few:
        client.get("/admin/")
    CaseFactory.create_batch(45, status=CaseStatus.IN_REVIEW)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/admin/").status_code == 200


def test_clinic_staff_never_see_the_dashboard(client: Client, personas: Any) -> None:
    CaseFactory.create(status=CaseStatus.CLINICIAN_REVIEW)
    client.force_login(personas.clinic_a_staff)
    response = client.get("/admin/", follow=True)
    assert b"core-tile" not in response.content
    assert b"Awaiting clinician review" not in response.content
