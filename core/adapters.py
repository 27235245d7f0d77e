from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import net


class NoSignupAccountAdapter(DefaultAccountAdapter):
    """Clinic and staff accounts are created by concierge staff, never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

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
