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


class StaffSecondFactorMiddleware:
    """Staff cannot open the admin until they have enrolled a second factor.

    allauth.mfa then asks for that factor at every login, and the admin login
    itself is routed through allauth (config/urls.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.STAFF_MFA_REQUIRED
            and request.path.startswith("/" + settings.ADMIN_URL)
            and request.user.is_authenticated
            and request.user.is_staff
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=request.user).exists():
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
