"""The "suggestions are ready" email through the real broker, worker and an SMTP server."""

from __future__ import annotations

import time
from typing import Any

import pytest

from core.models import Notification, NotificationStatus
from intake.matching import matching_propose
from intake.models import ProposalStatus
from intake.services.proposals import proposal_send
from tests.clinics.factories import LegalityRuleFactory, OfferingFactory, give_badge
from tests.conftest import SmtpSink
from tests.factories import ConditionFactory

from .staff_factories import ready_case


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_sent_proposal_reaches_the_patient_through_the_worker(
    celery_worker: object, smtp_sink: SmtpSink, personas: Any, figure: Any
) -> None:
    """
    GIVEN a case ready for clinics and a vetted Mexican clinic that treats the knee
    WHEN the concierge proposes clinics and sends the proposal
    THEN the commit nudges the outbox, a real worker sends one e-mail over SMTP with the
         case link, and its outbox row is marked sent
    """
    knee = ConditionFactory.create(name="Knee osteoarthritis", slug="knee-osteoarthritis")
    LegalityRuleFactory.create(country="MX")
    give_badge(personas.clinic_a)
    OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    case = ready_case(condition=knee, countries_accepted=["MX"])

    proposal = matching_propose(case=case, acting_user=personas.concierge)
    started = time.monotonic()
    proposal_send(proposal=proposal, acting_user=personas.concierge)

    messages = smtp_sink.wait_for(1, timeout=30)
    elapsed = time.monotonic() - started
    assert len(messages) == 1
    assert smtp_sink.envelopes[0].rcpt_tos == [case.patient.email]
    assert case.reference in messages[0]["Subject"]
    plain = next(part for part in messages[0].walk() if part.get_content_type() == "text/plain")
    payload = plain.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert b"/intake/c/" in payload
    row = Notification.objects.get(kind="intake.proposal_ready")
    deadline = time.monotonic() + 10
    while row.status != NotificationStatus.SENT and time.monotonic() < deadline:
        time.sleep(0.05)
        row.refresh_from_db()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SENT
    assert row.status == NotificationStatus.SENT and row.about == proposal
    assert messages[0]["Message-ID"] == row.message_id
    figure("proposal_email_roundtrip", seconds=f"{elapsed:.3f}")
