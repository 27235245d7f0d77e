"""Clinic e-mails: the notification kinds the outbox sends for clinics.

Registered by ``ClinicsConfig.ready()``; the services queue them with
``core.notifications.services.notify`` in their own transaction. An expiry
notice is one notification per reader (each clinic member, the clinic's
contact address, the concierge), so a failure for one reader never re-sends
to another. Nothing here carries patient data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import User
from core.notifications.kinds import Audience, NotificationKind, Reader, register
from core.notifications.models import Notification

from .models import ChangeRequest, ChangeRequestStatus, Clinic, CredentialNotice, NoticeKind

CREDENTIAL_NOTICE_KINDS = {
    NoticeKind.EXPIRING: "clinics.credential_expiring",
    NoticeKind.EXPIRED: "clinics.credential_expired",
}


def _url(name: str, args: list[Any] | None = None, fallback: str = "/") -> str:
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        path = fallback
    return settings.SITE_URL + path


@dataclass(frozen=True)
class NoticeReader:
    """Who is told about a clinic's register, chosen when the notice is queued."""

    to: User | str  # a member (their address and language are read at send time) or an address
    address: str  # lowercased: the dedupe key's second half
    time_zone: str = ""
    for_staff: bool = False


def credential_notice_readers(clinic: Clinic) -> list[NoticeReader]:
    """Each active member of ``clinic``, its contact address (unless a member's), the concierge."""
    readers: dict[str, NoticeReader] = {}
    members = clinic.memberships.select_related("user").filter(user__is_active=True)
    for membership in members.order_by("pk"):
        user = membership.user
        if user.email:
            readers.setdefault(user.email.lower(), NoticeReader(user, user.email.lower()))
    contact = clinic.contact_email.strip().lower()
    if contact and contact not in readers:
        readers[contact] = NoticeReader(
            clinic.contact_email.strip(), contact, time_zone=str(clinic.time_zone)
        )
    concierge = settings.CONCIERGE_EMAIL.lower()
    readers[concierge] = NoticeReader(settings.CONCIERGE_EMAIL, concierge, for_staff=True)
    return list(readers.values())


class CredentialNoticeMail(NotificationKind):
    """One reader's copy of an expiry notice; ``about`` is the ``CredentialNotice``."""

    audience = Audience.CLINIC
    reason = _(
        "You get this because you are on this clinic's team, or this is its contact address, "
        "in our register of vetted clinics."
    )

    def about_queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return model._default_manager.select_related("credential__clinic")

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        if not isinstance(about, CredentialNotice):
            return False
        credential = about.credential
        # Renewed since the sweep queued it (a later verified one of the same kind): moot.
        if not type(credential)._default_manager.not_renewed().filter(pk=credential.pk).exists():
            return False
        # A member who left the clinic since: no longer theirs to hear.
        user = notification.recipient_user
        return (
            user is None or user.clinic_memberships.filter(clinic_id=credential.clinic_id).exists()
        )

    def footer_reason(self, notification: Notification, about: Any) -> Any:
        if notification.data.get("for_staff"):
            return _("You get this because you work on the concierge team.")
        return self.reason

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        credential = about.credential
        return {
            "clinic": credential.clinic,
            "credential": credential,
            "days_left": (credential.expires_on - timezone.localdate()).days
            if credential.expires_on
            else None,
            "for_staff": bool(notification.data.get("for_staff")),
            "portal_url": _url("portal:home", fallback="/portal/"),
            "admin_url": _url(
                "admin:clinics_credential_change",
                [credential.pk],
                fallback=f"/{settings.ADMIN_URL}clinics/credential/{credential.pk}/change/",
            ),
        }


@register
class CredentialExpiring(CredentialNoticeMail):
    name = CREDENTIAL_NOTICE_KINDS[NoticeKind.EXPIRING]
    template = "clinic-credential-expiring"


@register
class CredentialExpired(CredentialNoticeMail):
    name = CREDENTIAL_NOTICE_KINDS[NoticeKind.EXPIRED]
    template = "clinic-credential-expired"


@register
class ChangeDecided(NotificationKind):
    """Staff approved or rejected a change request; to the clinic user who asked."""

    name = "clinics.change_decided"
    template = "clinic-change-decided"
    audience = Audience.CLINIC
    reason = _("You get this because you asked for this change in the clinic portal.")

    def about_queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return model._default_manager.select_related("clinic")

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        user = notification.recipient_user
        if not isinstance(about, ChangeRequest) or about.is_pending or user is None:
            return False
        if not user.is_active:
            return False
        # Left the clinic since: the decision and its note are no longer theirs.
        return user.is_concierge or about.clinic.memberships.filter(user=user).exists()

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return {
            "change_request": about,
            "clinic": about.clinic,
            "approved": about.status == ChangeRequestStatus.APPROVED,
            "portal_url": _url("portal:home", fallback="/portal/"),
        }
