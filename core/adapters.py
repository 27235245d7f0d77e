from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class NoSignupAccountAdapter(DefaultAccountAdapter):
    """Clinic and staff accounts are created by concierge staff, never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
