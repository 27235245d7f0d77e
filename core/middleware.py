from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

TZ_COOKIE = "tz"


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_zone(name: str | None) -> str | None:
    return name if name and name in _known_zones() else None


class TimezoneMiddleware:
    """Show times in the viewer's zone: the user's setting, else the browser's.

    The browser's zone arrives in a cookie set by static/js/tz.js; anything
    that is not a known IANA name is ignored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and str(user.time_zone) != "UTC":
            zone = str(user.time_zone)
        zone = zone or valid_zone(unquote(request.COOKIES.get(TZ_COOKIE, ""))[:64])
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


MFA_CONFIRMED_KEY = "_sc_mfa"


def _has_second_factor(request: HttpRequest) -> bool:
    """Whether the user holds a factor; remembered in the session for this sign-in generation.

    Adding, removing or resetting a factor raises ``session_generation``
    (core.sessions), so a remembered answer never outlives the factor.
    """
    from allauth.mfa.models import Authenticator

    user = request.user
    generation = getattr(user, "session_generation", 0)
    if request.session.get(MFA_CONFIRMED_KEY) == generation:
        return True
    held = (
        Authenticator.objects.filter(user_id=user.pk)
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .exists()
    )
    if held:
        request.session[MFA_CONFIRMED_KEY] = generation
    return held


class SecondFactorMiddleware:
    """Nobody opens a page with patient data on a password alone.

    Staff need an enrolled second factor before the admin (``STAFF_MFA_REQUIRED``);
    clinic staff before any clinic-portal page, where shared cases live
    (``CLINIC_MFA_REQUIRED``). Both are sent to enrol one; allauth.mfa then asks
    for it at every sign-in, and the admin's own login is routed through allauth
    (config/urls.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and self._requires_factor(request)
            and not _has_second_factor(request)
        ):
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _requires_factor(request: HttpRequest) -> bool:
        path = request.path
        if settings.STAFF_MFA_REQUIRED and path.startswith("/" + settings.ADMIN_URL):
            return bool(request.user.is_staff)
        return bool(settings.CLINIC_MFA_REQUIRED and path.startswith(settings.CLINIC_PORTAL_PATH))
