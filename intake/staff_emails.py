"""The "your clinic suggestions are ready" email, sent by ``send_proposal_ready``."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from core.audit import audit_event_record

from .emails import render_and_send
from .models import Proposal, ProposalStatus, TokenPurpose
from .services.tokens import access_link_url, access_token_issue

log = logging.getLogger(__name__)


def proposal_ready_notify(*, proposal_id: int) -> bool:
    """Email the patient once per sent proposal; returns whether this call sent it.

    The send is claimed with a conditional UPDATE on ``patient_notified_at``,
    so two workers (or a redelivered task) never both send. If sending fails
    the claim is released and the error propagates, so the task retries.
    The case link is issued here, in the worker: the raw token never passes
    through the broker. No email for a superseded proposal or a closed case.
    """
    proposal = (
        Proposal.objects.select_related("case", "case__patient").filter(pk=proposal_id).first()
    )
    if proposal is None:
        log.warning("proposal email: proposal %s is gone", proposal_id)
        return False
    case = proposal.case
    if proposal.status != ProposalStatus.SENT or not case.is_open:
        log.info("proposal email: proposal %s is %s, case open=%s; not sent",
                 proposal_id, proposal.status, case.is_open)
        return False
    claimed = Proposal.objects.filter(
        pk=proposal.pk, status=ProposalStatus.SENT, patient_notified_at__isnull=True
    ).update(patient_notified_at=timezone.now())
    if not claimed:
        log.info("proposal email: proposal %s already notified", proposal_id)
        return False
    try:
        url = access_link_url(
            access_token_issue(case=case, purpose=TokenPurpose.CASE, acting_user=None),
            TokenPurpose.CASE,
        )
        render_and_send(
            to=[case.patient.email], template="proposal-ready",
            context={
                "case": case, "patient": case.patient, "case_url": url,
                "clinic_count": proposal.items.count(),
                "link_days": settings.INTAKE_CASE_LINK_DAYS,
            },
            language=case.patient.language, time_zone=str(case.patient.time_zone),
        )
    except BaseException:
        Proposal.objects.filter(pk=proposal.pk).update(patient_notified_at=None)
        raise
    audit_event_record(
        action="intake.proposal_notified", acting_user=None, target=case,
        data={"proposal_id": proposal.pk},
    )
    return True
