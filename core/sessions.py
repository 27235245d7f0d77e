"""How long a signed-in session lives, and ending the other sessions when credentials change.

A session gets a *kind* when someone signs in (staff, clinic staff) or a patient
opens a magic link (the intake calls ``session_begin``). Each kind has an idle
limit; every kind has the same absolute lifetime. ``SessionTimeoutMiddleware``
ends a session past either limit; the page warns first (static/js/session-timeout.js,
fed by ``session_timeout_context``) and "stay signed in" posts to the keep-alive view.

Signing out everywhere: Django signs each session with an HMAC of the password,
so a new password ends every session but the one that changed it
(``update_session_auth_hash``). ``User.session_generation`` joins that HMAC;
``sessions_end_elsewhere`` raises it when a second factor is added, removed or
reset, with the same effect.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from .models import User

KIND_KEY = "_sc_kind"
STARTED_KEY = "_sc_started"
SEEN_KEY = "_sc_seen"


class SessionKind(StrEnum):
    STAFF = "staff"
    CLINIC = "clinic"
    PATIENT = "patient"


def idle_limit(kind: str) -> int:
    limits: dict[str, int] = {
        SessionKind.STAFF.value: settings.SESSION_IDLE_STAFF_SECONDS,
        SessionKind.CLINIC.value: settings.SESSION_IDLE_CLINIC_SECONDS,
        SessionKind.PATIENT.value: settings.SESSION_IDLE_PATIENT_SECONDS,
    }
    # An unknown kind gets the strictest limit.
    return limits.get(kind, min(limits.values()))


def kind_for_user(user: Any) -> SessionKind:
    return SessionKind.STAFF if user.is_staff else SessionKind.CLINIC


def session_begin(request: HttpRequest, kind: SessionKind) -> None:
    """Start the clocks for a sign-in or a magic link; the stricter kind wins."""
    session = request.session
    now = time.time()
    current = session.get(KIND_KEY)
    if current is None or idle_limit(kind) < idle_limit(current):
        session[KIND_KEY] = kind.value
    if current is None or kind != SessionKind.PATIENT:
        # A sign-in is a new authentication: the absolute lifetime starts again.
        session[STARTED_KEY] = now
    session[SEEN_KEY] = now


def session_remaining(request: HttpRequest, now: float | None = None) -> int | None:
    """Seconds before this session ends (idle or absolute); None if no limit applies."""
    session = getattr(request, "session", None)
    if session is None or session.get(KIND_KEY) is None:
        return None
    kind = session[KIND_KEY]
    now = time.time() if now is None else now
    seen = float(session.get(SEEN_KEY, now))
    started = float(session.get(STARTED_KEY, now))
    left = min(seen + idle_limit(kind), started + settings.SESSION_ABSOLUTE_SECONDS) - now
    return max(0, int(left))


def session_timeout_context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: what the warning script needs, when a limit applies."""
    remaining = session_remaining(request)
    if remaining is None:
        return {}
    return {
        "session_timeout": {
            "remaining": remaining,
            "warn": settings.SESSION_WARNING_SECONDS,
            "keepalive_url": reverse("core:session_keepalive"),
            "ended_url": reverse("core:session_ended"),
        }
    }


def session_touch(request: HttpRequest) -> None:
    request.session[SEEN_KEY] = time.time()


def sessions_end_elsewhere(*, request: HttpRequest | None, user: User) -> None:
    """End every other session of ``user``; the one making the change stays signed in."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    if (
        request is not None
        and getattr(request, "user", None) is not None
        and request.user.pk == user.pk
    ):
        update_session_auth_hash(request, user)


def _wants_json(request: HttpRequest) -> bool:
    return (
        request.path == reverse("core:session_keepalive")
        or "application/json" in request.headers.get("Accept", "")
        or request.headers.get("HX-Request") == "true"
    )


class SessionTimeoutMiddleware:
    """Ends sessions past their idle or absolute limit; records activity.

    Sits after AuthenticationMiddleware. The keep-alive view's GET reports the
    time left without counting as activity (other tabs ask it before warning).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.get(KIND_KEY) is None and request.user.is_authenticated:
            # Signed in before the limits existed (or without the login signal).
            session_begin(request, kind_for_user(request.user))
        if session.get(KIND_KEY) is not None:
            now = time.time()
            if session_remaining(request, now) == 0:
                return self._expired(request)
            is_status_check = request.method == "GET" and request.path == reverse(
                "core:session_keepalive"
            )
            # Activity is written at most every SESSION_ACTIVITY_RESOLUTION seconds,
            # so browsing does not turn every request into a session write.
            stale = now - float(session.get(SEEN_KEY, 0)) >= settings.SESSION_ACTIVITY_RESOLUTION
            if stale and not is_status_check:
                session[SEEN_KEY] = now
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> HttpResponse:
        from django.contrib.auth import logout

        logout(request)  # flushes the session: the case links of a patient go too
        if _wants_json(request):
            return JsonResponse({"remaining": 0}, status=401)
        return HttpResponseRedirect(reverse("core:session_ended"))


# --- Framework glue, connected in CoreConfig.ready() --------------------------------
def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_begin(request, kind_for_user(user))


def on_second_factor_changed(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """allauth.mfa added, removed or reset a factor: sign out the user's other sessions."""
    sessions_end_elsewhere(request=request, user=user)


def connect_signals() -> None:
    from allauth.mfa import signals as mfa_signals
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(on_user_logged_in, dispatch_uid="core.sessions.logged_in")
    for signal in (
        mfa_signals.authenticator_added,
        mfa_signals.authenticator_removed,
        mfa_signals.authenticator_reset,
    ):
        signal.connect(on_second_factor_changed, dispatch_uid=f"core.sessions.mfa.{id(signal)}")
