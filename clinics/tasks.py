"""Clinics tasks: thin, idempotent, ids only; the services do the work."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

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
    from .emails import change_request_decision_message

    cr = ChangeRequest.objects.select_related("clinic", "submitted_by").filter(
        pk=change_request_id
    ).first()
    if cr is None:
        log.warning("change request %s is gone; nothing to send", change_request_id)
        return
    if cr.is_pending:
        return
    claimed = ChangeRequest.objects.filter(
        pk=cr.pk, decision_notified_at__isnull=True
    ).update(decision_notified_at=timezone.now())
    if not claimed:
        return  # told already, or another worker got there first
    message = change_request_decision_message(cr)
    if message is None:
        return
    try:
        message.send()
    except TRANSIENT:
        ChangeRequest.objects.filter(pk=cr.pk).update(decision_notified_at=None)
        raise
