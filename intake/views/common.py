"""Helpers shared by the public intake views: limits, link errors, upload parsing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.decorators import ratelimit

from core.exceptions import DomainError
from core.middleware import TZ_COOKIE, valid_zone
from core.uploads import CappedUploadHandler, upload_rejections


def _intake_rate(group: str, request: HttpRequest) -> str:
    return str(settings.INTAKE_RATE_LIMIT)


def _link_rate(group: str, request: HttpRequest) -> str:
    return str(settings.INTAKE_LINK_RATE_LIMIT)


# Counted per client IP (REMOTE_ADDR; our proxy sets it) in the Redis cache.
limit_posts = ratelimit(
    group="intake.posts", key="ip", rate=_intake_rate, method="POST", block=False
)
limit_links = ratelimit(group="intake.links", key="ip", rate=_link_rate, method="POST", block=False)
# ``ALL`` is django-ratelimit's sentinel: the string "ALL" would match no method at all.
limit_token_opens = ratelimit(group="intake.tokens", key="ip", rate="60/m", method=ALL, block=False)


def too_many_requests(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(
            {
                "ok": False,
                "message": _("Too many attempts. Please wait a few minutes and try again."),
            },
            status=429,
        )
    return render(request, "intake/rate_limited.html", status=429)


def rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 429 once ``request.limited`` was set by a ratelimit decorator."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "limited", False):
            return too_many_requests(request)
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def link_not_valid(request: HttpRequest) -> HttpResponse:
    """The one answer for every bad link or foreign case: same status, same body."""
    return render(request, "intake/link_invalid.html", status=404)


def browser_zone(request: HttpRequest) -> str | None:
    """The IANA zone static/js/tz.js reported for this browser, if any and known."""
    return valid_zone(unquote(request.COOKIES.get(TZ_COOKIE, ""))[:64])


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


def install_upload_handlers(request: HttpRequest) -> None:
    """Stream files to disk with the intake's caps (core.uploads.CappedUploadHandler).

    Must run before anything reads request.POST, which is why upload views are
    csrf_exempt outside and csrf_protect inside.
    """
    handler = CappedUploadHandler(request)
    handler.max_file_bytes = settings.INTAKE_MAX_FILE_BYTES
    handler.max_request_bytes = min(handler.max_request_bytes, settings.INTAKE_MAX_CASE_BYTES)
    request.upload_handlers = [handler]


def parse_upload_body(request: HttpRequest) -> str | None:
    """Read the multipart body now; return a user-safe error when no file can be kept.

    A file dropped alone (over the per-file cap) is not an error here: the
    others are kept, and ``core.uploads.skipped_uploads`` names it. A request
    the handler stopped (too many files or bytes) keeps none, and says why.
    """
    try:
        request.POST  # noqa: B018 - parsing is the point
        request.FILES  # noqa: B018
    except TooManyFilesSent:
        return _("Too many files in one go: send at most %(n)s at a time.") % {
            "n": settings.UPLOAD_MAX_FILES_PER_REQUEST
        }
    except (RequestDataTooBig, TooManyFieldsSent):
        return _("This request was too large. Please send fewer or smaller answers.")
    except DomainError as exc:
        return str(exc.message)
    if any(getattr(handler, "aborted", False) for handler in request.upload_handlers):
        return " ".join(dict.fromkeys(upload_rejections(request)))
    return None
