"""Intake emails: rendered in the reader's language and zone, sent after commit.

Each ``*_send`` function is called by a task (intake.tasks) with an id; it
fetches the row, does nothing if the work was already done, sends, and marks
it done. A crash between sending and marking can send twice; never zero times.
"""

from __future__ import annotations

import logging
from smtplib import SMTPRecipientsRefused
from typing import Any

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from .models import Case, CaseMessage, CaseStatus, TokenPurpose
from .services.tokens import access_link_url, access_token_issue

log = logging.getLogger(__name__)


def render_and_send(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    language: str,
    time_zone: str = "UTC",
) -> None:
    with translation.override(language), timezone.override(time_zone):
        ctx = {**context, "site_url": settings.SITE_URL, "language": language}
        subject: str = render_to_string(f"emails/{template}-subject.txt", ctx)
        text = render_to_string(f"emails/{template}-body.txt", ctx)
        html = css_inline.inline(render_to_string(f"emails/{template}-body.html", ctx))
    subject = " ".join(subject.split())[:200]  # one line: a header cannot carry newlines
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except SMTPRecipientsRefused:
        # Permanent (a mistyped address): retrying cannot help, and smtplib's exception
        # carries the patient's address into the worker's retry and failure logs.
        raise RecipientRefused(template) from None


class RecipientRefused(Exception):
    """The mail server refused the recipient; the message names the template, never the address."""

    def __init__(self, template: str) -> None:
        super().__init__(f"recipient refused for a {template} email")


def admin_case_url(case: Case) -> str:
    try:
        path = reverse("admin:intake_case_change", args=[case.pk])
    except NoReverseMatch:
        path = f"/{settings.ADMIN_URL}intake/case/{case.pk}/change/"
    return settings.SITE_URL + path


def case_acknowledgement_send(*, case_id: int) -> bool:
    """Tell the patient we have their case, what happens next, and how to open it."""
    case = Case.objects.select_related("patient", "condition").filter(pk=case_id).first()
    if case is None:
        log.warning("acknowledgement: case %s is gone", case_id)
        return False
    if case.acknowledged_at is not None or case.is_draft:
        return False
    url = access_link_url(
        access_token_issue(case=case, purpose=TokenPurpose.CASE, acting_user=None),
        TokenPurpose.CASE,
    )
    render_and_send(
        to=[case.patient.email],
        template="intake-acknowledgement",
        context={
            "case": case,
            "patient": case.patient,
            "case_url": url,
            "clinician_review": case.status == CaseStatus.CLINICIAN_REVIEW,
            "link_days": settings.INTAKE_CASE_LINK_DAYS,
        },
        language=case.patient.language,
        time_zone=str(case.patient.time_zone),
    )
    Case.objects.filter(pk=case.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now()
    )
    return True


def concierge_new_case_notify(*, case_id: int) -> bool:
    """Tell staff a case arrived: its reference and an admin link, nothing about the patient."""
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        log.warning("staff notice: case %s is gone", case_id)
        return False
    if case.concierge_notified_at is not None or case.is_draft:
        return False
    render_and_send(
        to=[settings.CONCIERGE_EMAIL],
        template="intake-new-case-staff",
        context={
            "reference": case.reference,
            "admin_url": admin_case_url(case),
            "urgent": case.has_hard_contraindication,
        },
        language=settings.LANGUAGE_CODE,
    )
    Case.objects.filter(pk=case.pk, concierge_notified_at__isnull=True).update(
        concierge_notified_at=timezone.now()
    )
    return True


def _link_send(*, case: Case, purpose: str, template: str, url_key: str, link_days: int) -> None:
    url = access_link_url(
        access_token_issue(case=case, purpose=purpose, acting_user=None), purpose
    )
    render_and_send(
        to=[case.patient.email],
        template=template,
        context={"case": case, "patient": case.patient, url_key: url, "link_days": link_days},
        language=case.patient.language,
        time_zone=str(case.patient.time_zone),
    )


def resume_link_send(*, case_id: int) -> bool:
    """Email a fresh link to continue a draft on any device."""
    case = Case.objects.select_related("patient").filter(pk=case_id).first()
    if case is None or not case.is_draft:
        log.info("resume link: case %s is gone or no longer a draft", case_id)
        return False
    _link_send(
        case=case, purpose=TokenPurpose.RESUME, template="intake-resume-link",
        url_key="resume_url", link_days=settings.INTAKE_RESUME_LINK_DAYS,
    )
    return True


def case_link_send(*, case_id: int) -> bool:
    """Email a fresh link to the case page (the patient lost theirs)."""
    case = Case.objects.select_related("patient").filter(pk=case_id).first()
    if case is None or case.is_draft or not case.is_open:
        log.info("case link: case %s is gone, a draft or closed", case_id)
        return False
    _link_send(
        case=case, purpose=TokenPurpose.CASE, template="intake-case-link",
        url_key="case_url", link_days=settings.INTAKE_CASE_LINK_DAYS,
    )
    return True


def concierge_message_notify(*, message_id: int) -> bool:
    """Tell staff a patient asked a question: reference and admin link only."""
    message = CaseMessage.objects.select_related("case").filter(pk=message_id).first()
    if message is None:
        log.warning("message notice: message %s is gone", message_id)
        return False
    if message.staff_notified_at is not None:
        return False
    render_and_send(
        to=[settings.CONCIERGE_EMAIL],
        template="intake-message-staff",
        context={"reference": message.case.reference, "admin_url": admin_case_url(message.case)},
        language=settings.LANGUAGE_CODE,
    )
    CaseMessage.objects.filter(pk=message.pk, staff_notified_at__isnull=True).update(
        staff_notified_at=timezone.now()
    )
    return True
