"""Intake tasks: ids in, one email service call, retry only transient failures."""

from __future__ import annotations

import logging
from smtplib import SMTPException
from typing import Any

from celery import shared_task

from . import emails, staff_emails
from .services import access_tokens_purge, drafts_purge

logger = logging.getLogger(__name__)

TRANSIENT = (SMTPException, ConnectionError, TimeoutError)
RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
    "ignore_result": True,
    "acks_late": True,
}


@shared_task(**RETRY)
def send_case_acknowledgement(case_id: int) -> None:
    """Email the patient their reference, next steps and case-page link."""
    emails.case_acknowledgement_send(case_id=case_id)


@shared_task(**RETRY)
def notify_concierge_new_case(case_id: int) -> None:
    """Email staff the new case's reference and admin link (no patient data)."""
    emails.concierge_new_case_notify(case_id=case_id)


@shared_task(**RETRY)
def send_resume_link(case_id: int) -> None:
    """Email the patient a fresh link to continue their draft."""
    emails.resume_link_send(case_id=case_id)


@shared_task(**RETRY)
def send_case_link(case_id: int) -> None:
    """Email the patient a fresh link to their case page."""
    emails.case_link_send(case_id=case_id)


@shared_task(**RETRY)
def notify_concierge_message(message_id: int) -> None:
    """Email staff that a patient asked a question (reference and admin link only)."""
    emails.concierge_message_notify(message_id=message_id)


@shared_task(**RETRY)
def send_proposal_ready(proposal_id: int) -> None:
    """Email the patient a link to the sent proposal (claimed once; retried on SMTP errors)."""
    staff_emails.proposal_ready_notify(proposal_id=proposal_id)


@shared_task(ignore_result=True, acks_late=True)
def intake_retention_sweep() -> dict[str, int]:
    """Daily: delete idle drafts and long-dead links. A rerun finds nothing new."""
    drafts = drafts_purge(acting_user=None)
    links = access_tokens_purge()
    logger.info("intake retention: %d drafts, %d links deleted", drafts, links)
    return {"drafts": drafts, "links": links}


# Celery autodiscovers intake.tasks only; INTAKE-STAFF's task lives in its own module.
