"""The "suggestions are ready" email through the real broker, worker and an SMTP server."""

from __future__ import annotations

import time
from typing import Any

import pytest

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
    THEN after the commit a real worker sends one email over SMTP with the case link,
         and the proposal is marked as notified
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
    deadline = time.monotonic() + 10
    proposal.refresh_from_db()
    while proposal.patient_notified_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
        proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SENT
    assert proposal.patient_notified_at is not None
    figure("proposal_email_roundtrip", seconds=f"{elapsed:.3f}")
