"""Access links in the admin: the e-mail that carried each one, never the secret."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import NotificationStatus
from core.notifications.services import outbox_drain
from intake.models import AccessToken, Case, TokenPurpose
from intake.services import access_token_issue
from tests.conftest import Personas

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"/intake/c/([A-Za-z0-9_-]+)/")
CHANGELIST = reverse("admin:intake_accesstoken_changelist")


@pytest.fixture
def concierge_client(client: Client, personas: Personas) -> Client:
    client.force_login(personas.concierge)
    return client


def _emailed_link(case: Case) -> tuple[AccessToken, str]:
    """Alice asks for her lost link and the outbox sends it: the token and its raw secret."""
    Client().post("/intake/lost-link/", {"email": case.patient.email})
    assert outbox_drain().sent == 1
    raw = LINK_RE.findall(str(mail.outbox[-1].body))[0]
    return AccessToken.objects.get(case=case, notification__isnull=False), raw


def test_it_shows_the_email_that_carried_the_link_and_not_the_secret(
    concierge_client: Client, alice_case: Case
) -> None:
    token, raw = _emailed_link(alice_case)
    assert token.notification is not None
    url = reverse("admin:intake_accesstoken_change", args=[token.pk])
    html = concierge_client.get(url).content.decode()
    assert "issued for e-mail" in html.lower()
    assert str(token.notification) in html
    assert reverse("admin:core_notification_change", args=[token.notification.pk]) in html
    assert raw not in html and token.token_hash not in html


def test_it_lists_each_links_email_state_without_a_query_per_row(
    concierge_client: Client, alice_case: Case, bob_case: Case
) -> None:
    _emailed_link(alice_case)
    access_token_issue(case=bob_case, purpose=TokenPurpose.CASE, acting_user=None)
    with CaptureQueriesContext(connection) as two_rows:
        html = concierge_client.get(CHANGELIST).content.decode()
    assert str(NotificationStatus.SENT.label) in html
    for _ in range(3):
        access_token_issue(case=bob_case, purpose=TokenPurpose.CASE, acting_user=None)
    with CaptureQueriesContext(connection) as five_rows:
        concierge_client.get(CHANGELIST)
    assert len(five_rows) == len(two_rows)


def test_it_filters_links_by_the_state_of_their_email(
    concierge_client: Client, alice_case: Case, bob_case: Case
) -> None:
    _emailed_link(alice_case)
    access_token_issue(case=bob_case, purpose=TokenPurpose.CASE, acting_user=None)
    sent = concierge_client.get(CHANGELIST, {"email": "sent"}).content.decode()
    direct = concierge_client.get(CHANGELIST, {"email": "none"}).content.decode()
    assert alice_case.reference in sent and bob_case.reference not in sent
    assert bob_case.reference in direct and alice_case.reference not in direct
