"""INTAKE-STAFF's task: tell the patient their clinic suggestions are ready.

``intake.tasks`` imports this module so Celery's autodiscovery registers it;
this module must not import ``intake.tasks`` back (circular import).
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

TRANSIENT = (SMTPException, ConnectionError, TimeoutError)


@shared_task(
    autoretry_for=TRANSIENT, retry_backoff=10, retry_backoff_max=600, retry_jitter=True,
    max_retries=6, ignore_result=True, acks_late=True,
)
def send_proposal_ready(proposal_id: int) -> None:
    """Email the patient a link to the sent proposal (claimed once; retried on SMTP errors)."""
    from .staff_emails import proposal_ready_notify

    proposal_ready_notify(proposal_id=proposal_id)
