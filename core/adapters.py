from __future__ import annotations

import logging
import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import net
from .models import User

log = logging.getLogger(__name__)


class NoSignupAccountAdapter(DefaultAccountAdapter):
    """Clinic and staff accounts are created by concierge staff, never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """No e-mail leaves from here: each becomes an outbox notification (core.account_emails),
        rendered at send time in the shared layout and the reader's language."""
        from .account_emails import NOTICE_KIND, RESET_KIND, UNKNOWN_KIND
        from .notifications.services import notify

        user = context.get("user")
        key = uuid.uuid4().hex  # each request is its own event
        if template_prefix == "account/email/password_reset_key" and isinstance(user, User):
            notify(
                kind=RESET_KIND,
                dedupe_key=f"{RESET_KIND}:{user.pk}:{key}",
                about=user,
                to=user,
                priority=1,
            )
        elif template_prefix == "account/email/unknown_account":
            notify(kind=UNKNOWN_KIND, dedupe_key=f"{UNKNOWN_KIND}:{key}", to=email)
        elif isinstance(user, User):
            notify(
                kind=NOTICE_KIND,
                dedupe_key=f"{NOTICE_KIND}:{user.pk}:{key}",
                about=user,
                to=user,
                data={"notice": template_prefix},
            )
        else:
            log.warning("account e-mail %s without a user: not sent", template_prefix)

    def send_notification_mail(
        self,
        template_prefix: str,
        user: Any,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        """Security notices (password, e-mail or second factor changed). Accounts here are
        made by staff without allauth's EmailAddress rows: the user's own address is used,
        and the client address and browser allauth adds are not kept."""
        from allauth.account import app_settings as account_settings

        if account_settings.EMAIL_NOTIFICATIONS:
            self.send_mail(template_prefix, email or user.email, {"user": user})

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits ask here; the answer is the portal's one answer.
        ip = net.client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client address.")
        return ip

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys failed sign-ins by account alone, so a flood from one
        # client would lock the account for every client. Keyed by account and
        # client, the flood locks only the flooding client (tests/core/test_lockout.py).
        account_key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account_key}:{self.get_client_ip(request)}"


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The account a sign-in attempt is for, as django-axes keys its lock-outs.

    allauth authenticates with ``email=``; the form posts ``login``. Without this
    axes saw no account at all and locked the whole client address instead.
    """
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login")
    normalised = str(value or "").strip().lower()
    return normalised or None
