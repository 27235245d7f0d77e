"""Clinics tasks: thin, idempotent, ids only; the services do the work."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task

from .models import ChangeRequest, CredentialNotice

log = logging.getLogger(__name__)

TRANSIENT = (SMTPException, ConnectionError, TimeoutError)


@shared_task(ignore_result=True, expires=3600)
def credential_expiry_check() -> None:
    """Daily (beat): create due expiry notices, queue clinics for review, dispatch sends."""
    from .services import credential_expiry_sweep

    credential_expiry_sweep()


@shared_task(
    bind=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=30,
    retry_backoff_max=1800, retry_jitter=True, max_retries=6,
)
def credential_notice_deliver(self: object, notice_id: int) -> None:
    """Send one expiry notice; a second delivery of the same id sends nothing."""
    from .services import credential_notice_send

    if not CredentialNotice.objects.filter(pk=notice_id).exists():
        log.warning("credential notice %s is gone; nothing to send", notice_id)
        return
    credential_notice_send(notice_id=notice_id)


@shared_task(
    bind=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=30,
    retry_backoff_max=1800, retry_jitter=True, max_retries=6,
)
def change_request_decision_notify(self: object, change_request_id: int) -> None:
    """Tell the clinic user who asked that staff approved or rejected their change."""
    from .services import change_request_decision_send

    if not ChangeRequest.objects.filter(pk=change_request_id).exists():
        log.warning("change request %s is gone; nothing to send", change_request_id)
        return
    change_request_decision_send(change_request_id=change_request_id)
