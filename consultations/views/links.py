"""Reschedule or cancel from the link in a booking e-mail.

The GET shows the booking and never changes anything (mail scanners open links
first); only a POST acts. Every bad link - tampered, unknown, expired, revoked,
a booking that is over - gets the same "link not valid" answer, with no data.
A link opens its own booking only: nothing in the forms names a booking.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from intake.views.common import limit_posts, limit_token_opens, link_not_valid, rate_limited

from ..services import booking_link_lookup
from ..services.access_log import booking_view_record
from .patient import booking_page, change_booking


def _actions(token: str) -> dict[str, str]:
    return {
        "reschedule": reverse("consultations:manage_reschedule", kwargs={"token": token}),
        "cancel": reverse("consultations:manage_cancel", kwargs={"token": token}),
        "self": reverse("consultations:manage", kwargs={"token": token}),
        "back": "",
    }


@never_cache
@limit_token_opens
@rate_limited
@require_GET
def manage(request: HttpRequest, token: str) -> HttpResponse:
    link = booking_link_lookup(raw_token=token)
    if link is None:
        return link_not_valid(request)
    booking = link.booking
    booking_view_record(booking=booking, request=request, via="link")
    return booking_page(request, case=booking.case, booking=booking, actions=_actions(token))


def _change(request: HttpRequest, token: str, action: str) -> HttpResponse:
    link = booking_link_lookup(raw_token=token)
    if link is None:
        return link_not_valid(request)
    booking = link.booking
    actions = _actions(token)
    done = actions["self"] if action == "reschedule" else reverse("consultations:manage_done")
    return change_booking(
        request, case=booking.case, booking=booking, action=action, actions=actions, done_url=done
    )


@never_cache
@limit_posts
@rate_limited
@require_POST
def manage_reschedule(request: HttpRequest, token: str) -> HttpResponse:
    return _change(request, token, "reschedule")


@never_cache
@limit_posts
@rate_limited
@require_POST
def manage_cancel(request: HttpRequest, token: str) -> HttpResponse:
    return _change(request, token, "cancel")
