from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from . import health, sessions
from .admin_access import may_use_admin


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, cache, broker, and a canary actually executed by a worker."""
    results = health.run_checks()
    ok = all(r.ok for r in results.values())
    body = {
        "status": "ok" if ok else "fail",
        "checks": {k: r.as_dict() for k, r in results.items()},
    }
    return JsonResponse(body, status=200 if ok else 503)


ROBOTS_TXT = """User-agent: *
Disallow: /intake/
Disallow: /portal/
Disallow: /accounts/
Disallow: /healthz
"""


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Keep crawlers out of the private areas (the admin URL is secret, so not named)."""
    return HttpResponse(ROBOTS_TXT, content_type="text/plain; charset=utf-8")


def _cross_site(request: HttpRequest) -> bool:
    """Whether the browser says this request comes from another site (Fetch Metadata,
    then Origin). Browsers send one or both with every POST; a client that sends neither
    is not a browser another site could drive."""
    if request.headers.get("Sec-Fetch-Site", "") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    own = f"{request.scheme}://{request.get_host()}"
    return origin != own and origin not in settings.CSRF_TRUSTED_ORIGINS


@csrf_exempt
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language``, guarded by the request's origin instead of a CSRF token.

    It only sets the display-language cookie. Without a token in the switcher, the
    public pages carry nothing of the visitor's own, so the public-page cache serves
    them as they were rendered (``core.public_cache``). Another site still cannot
    switch a visitor's language: browsers mark its requests (``Sec-Fetch-Site``,
    ``Origin``) and those are refused. ``set_language`` keeps checking ``next``.
    """
    if _cross_site(request):
        return HttpResponseForbidden(
            gettext("Cross-site request refused."), content_type="text/plain; charset=utf-8"
        )
    return set_language(request)


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Send each role to its own home after login."""
    if may_use_admin(request):
        return redirect("admin:index")
    return redirect(settings.PORTAL_HOME_URL)


@never_cache
@require_http_methods(["GET", "POST"])
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """GET: seconds left, without counting as activity. POST: "stay signed in"."""
    if request.method == "POST":
        sessions.session_touch(request)
    remaining = sessions.session_remaining(request)
    if remaining is None:
        return JsonResponse({"remaining": 0}, status=401)
    return JsonResponse({"remaining": remaining})


@never_cache
@require_GET
def session_ended(request: HttpRequest) -> HttpResponse:
    """Where a session that passed its idle or absolute limit lands."""
    return render(request, "core/session_ended.html")


def axes_lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in, in the site's layout (429)."""
    cool_off = get_cool_off(request)
    minutes = max(1, int(cool_off.total_seconds() // 60)) if cool_off else 60
    return render(request, "account/lockout.html", {"cooloff_minutes": minutes}, status=429)
