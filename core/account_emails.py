"""allauth's e-mails as outbox notifications, in the shared layout and the reader's language.

The account adapter (``core.adapters``) queues a notification instead of sending;
these kinds render at send time from the user's id. A password-reset link is
made then too: Django's reset tokens derive from the user's current state (password
hash, last login), so nothing secret is stored and a used or stale link stops working.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .notifications.kinds import Audience, NotificationKind, Reader, register
from .notifications.models import Notification

RESET_KIND = "core.account_password_reset"
UNKNOWN_KIND = "core.account_unknown"
NOTICE_KIND = "core.account_notice"

# allauth's notification templates -> what we tell the reader happened.
NOTICES: dict[str, Any] = {
    "account/email/password_changed": _("The password of your account was changed."),
    "account/email/password_set": _("A password was set on your account."),
    "account/email/email_changed": _("The e-mail address of your account was changed."),
    "account/email/email_deleted": _("An e-mail address was removed from your account."),
    "mfa/email/totp_activated": _("An authenticator app was set up as your second factor."),
    "mfa/email/totp_deactivated": _("The authenticator app was removed from your account."),
    "mfa/email/recovery_codes_generated": _("New recovery codes were made for your account."),
    "mfa/email/webauthn_added": _("A security key was added to your account."),
    "mfa/email/webauthn_removed": _("A security key was removed from your account."),
}
ACCOUNT_REASON = _("You get this because you have an account with the concierge portal.")


@register
class PasswordReset(NotificationKind):
    name = RESET_KIND
    template = "account-password-reset"
    audience = Audience.STAFF
    reason = ACCOUNT_REASON

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return about is not None and about.is_active and about.has_usable_password()

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        token = account_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(about)
        path = reverse(
            "account_reset_password_from_key",
            kwargs={"uidb36": user_pk_to_url_str(about), "key": token},
        )
        hours = settings.PASSWORD_RESET_TIMEOUT // 3600
        return {"user": about, "reset_url": settings.SITE_URL + path, "valid_hours": hours}


@register
class UnknownAccount(NotificationKind):
    """Someone asked to reset the password of an address we have no account for."""

    name = UNKNOWN_KIND
    template = "account-unknown"
    audience = Audience.STAFF
    reason = _("You get this because someone asked to reset a password for this address.")


@register
class AccountNotice(NotificationKind):
    """A change to the account's security: if it was not the reader, they must act now."""

    name = NOTICE_KIND
    template = "account-notice"
    audience = Audience.STAFF
    reason = ACCOUNT_REASON

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return about is not None

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        what = NOTICES.get(
            notification.data.get("notice", ""),
            _("Something changed in the security of your account."),
        )
        return {"user": about, "what": what}
