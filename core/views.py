from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from . import health


class HomeView(TemplateView):
    template_name = "core/home.html"


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


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Send each role to its own home after login."""
    user = request.user
    if user.is_staff:
        return redirect("admin:index")
    return redirect("portal:home")


def axes_lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in, in the site's layout (429)."""
    cool_off = get_cool_off(request)
    minutes = max(1, int(cool_off.total_seconds() // 60)) if cool_off else 60
    return render(request, "account/lockout.html", {"cooloff_minutes": minutes}, status=429)
