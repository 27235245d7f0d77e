"""Clinic e-mails: rendered in each reader's language and time zone.

Built here, sent by the services that own the "was it sent" bookkeeping
(``credential_notice_send``) or by tasks after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from .models import ChangeRequest, Clinic, CredentialNotice, NoticeKind


@dataclass(frozen=True)
class Reader:
    email: str
    language: str
    time_zone: str
    is_staff: bool = False


def build_email(
    *, to: str, template: str, context: dict[str, Any], language: str, time_zone: str = "UTC"
) -> EmailMultiAlternatives:
    with translation.override(language), timezone.override(time_zone):
        ctx = {**context, "site_url": settings.SITE_URL, "language": language}
        raw_subject = render_to_string(f"emails/{template}-subject.txt", ctx)
        text = render_to_string(f"emails/{template}-body.txt", ctx)
        html = css_inline.inline(render_to_string(f"emails/{template}-body.html", ctx))
    subject = " ".join(raw_subject.split())[:200]  # one line: a header cannot carry newlines
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def _url(name: str, args: list[Any] | None = None, fallback: str = "/") -> str:
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        path = fallback
    return settings.SITE_URL + path


def clinic_readers(clinic: Clinic) -> list[Reader]:
    """Everyone at the clinic who should hear about its register: members and its contact."""
    readers: dict[str, Reader] = {}
    for membership in clinic.memberships.select_related("user").filter(user__is_active=True):
        user = membership.user
        readers[user.email.lower()] = Reader(user.email, user.language, str(user.time_zone))
    if clinic.contact_email and clinic.contact_email.lower() not in readers:
        readers[clinic.contact_email.lower()] = Reader(
            clinic.contact_email, settings.LANGUAGE_CODE, str(clinic.time_zone)
        )
    return list(readers.values())


def concierge_reader() -> Reader:
    return Reader(settings.CONCIERGE_EMAIL, settings.LANGUAGE_CODE, settings.TIME_ZONE, True)


def credential_notice_messages(notice: CredentialNotice) -> list[EmailMultiAlternatives]:
    """One message per clinic reader plus one for the concierge; no patient data in any."""
    credential = notice.credential
    clinic = credential.clinic
    template = (
        "clinic-credential-expiring" if notice.kind == NoticeKind.EXPIRING
        else "clinic-credential-expired"
    )
    base = {
        "clinic": clinic,
        "credential": credential,
        "days_left": (credential.expires_on - timezone.localdate()).days
        if credential.expires_on else None,
        "portal_url": _url("portal:home", fallback="/portal/"),
        "admin_url": _url(
            "admin:clinics_credential_change", [credential.pk],
            fallback=f"/{settings.ADMIN_URL}clinics/credential/{credential.pk}/change/",
        ),
    }
    messages = []
    for reader in [*clinic_readers(clinic), concierge_reader()]:
        messages.append(build_email(
            to=reader.email, template=template,
            context={**base, "for_staff": reader.is_staff},
            language=reader.language, time_zone=reader.time_zone,
        ))
    return messages


def change_request_decision_message(cr: ChangeRequest) -> EmailMultiAlternatives | None:
    user = cr.submitted_by
    if user is None or not user.is_active:
        return None
    if not user.is_concierge and not cr.clinic.memberships.filter(user=user).exists():
        return None  # left the clinic since: the decision and its note are no longer theirs
    return build_email(
        to=user.email, template="clinic-change-decided",
        context={"change_request": cr, "clinic": cr.clinic, "approved": cr.status == "approved",
                 "portal_url": _url("portal:home", fallback="/portal/")},
        language=user.language, time_zone=str(user.time_zone),
    )
