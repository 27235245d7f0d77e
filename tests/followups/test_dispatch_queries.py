"""Sending check-in invitations: a fixed number of queries per message, whatever the chunk.

The worker loads a chunk and what its messages are about in two queries, and issues
the chunk's links in one short transaction (the links earlier tries issued revoked, the
new ones written: four statements with its savepoint, as inside a test). The first
message's attempt is counted on its own; from then on each message costs one statement,
which marks it sent and counts the next message's attempt; the last "sent" is on its
own. Down from four per message (attempt, revoke, link, sent). (The dispatcher's claim
is pinned by the outbox tests.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.notifications.services import notify, outbox_claim_due, outbox_send_claimed
from followups.models import CheckIn, CheckInLink
from followups.services.schedule import INVITE_KIND
from tests.conftest import Personas

from .factories import scheduled

pytestmark = pytest.mark.django_db
PER_CHUNK, PER_MESSAGE = 2 + 4 + 1, 1


def send_invitations(check_ins: list[CheckIn], tag: str) -> int:
    """Queue an invitation per check-in, due now; send them as one chunk; the queries."""
    for check_in in check_ins:
        notify(kind=INVITE_KIND, dedupe_key=f"{tag}:{check_in.pk}", about=check_in)
    claim = outbox_claim_due()
    with CaptureQueriesContext(connection) as captured:
        report = outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
    assert report.sent == len(check_ins)
    return len(captured)


def test_each_invitation_costs_the_same_queries_in_a_chunk_of_2_or_6(
    personas: Personas, settings: Any
) -> None:
    settings.OUTBOX_NUDGE = False
    later = timezone.localdate() + dt.timedelta(days=30)  # their own e-mails are not due yet
    check_ins = [
        scheduled(personas.clinic_a, treated_on=later).check_ins.order_by("due_at").first()
        for _ in range(8)
    ]
    assert all(check_ins)
    few = send_invitations(check_ins[:2], "few")  # type: ignore[arg-type]
    many = send_invitations(check_ins[2:], "many")  # type: ignore[arg-type]
    assert (few, many) == (PER_CHUNK + 2 * PER_MESSAGE, PER_CHUNK + 6 * PER_MESSAGE)
    assert len(mail.outbox) == 8
    assert CheckInLink.objects.filter(revoked_at__isnull=True).count() == 8
