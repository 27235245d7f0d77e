"""The check-in from the e-mailed link, the pause/stop page, and the clinic's rating page.

Mail scanners open links first: a GET of the link shows a start page and
changes nothing; only the POST moves the check-in into this browser's session
(and out of the URL). Answers are saved page by page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit import ALL
from django_ratelimit.decorators import ratelimit

from core.exceptions import DomainError
from core.sessions import SessionKind, session_begin
from intake.views.common import rate_limited

from . import selectors, services
from .forms import ClinicRelatednessForm, LastPage, PainPage, ReviewForm, SideEffectsPage
from .instruments import EXPECTATIONS, asks_long_instrument
from .links import schedule_for_stop_token
from .models import CheckIn, ScheduleStatus
from .services.access_log import adverse_event_view_record, checkin_view_record
from .services.reviews import checkin_review_submit, review_stage_for

SESSION_CHECKIN = "followups_checkin"
SESSION_DONE = "followups_done"
PAGES = (1, 2, 3)

limit_links = ratelimit(group="followups.links", key="ip", rate="30/m", method=ALL, block=False)


def _invalid(request: HttpRequest) -> HttpResponse:
    """The one answer for every bad, expired, used or foreign link: same status, same body."""
    return render(request, "followups/invalid.html", status=404)


@never_cache
@limit_links
@rate_limited
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest, token: str) -> HttpResponse:
    check_in = services.checkin_for_link(token)
    if check_in is None:
        return _invalid(request)
    if request.method != "POST":
        return render(request, "followups/start.html", _page_context(check_in))
    request.session.cycle_key()
    request.session[SESSION_CHECKIN] = check_in.pk
    session_begin(request, SessionKind.PATIENT)
    return redirect("followups:page", page=1)


def _session_checkin(request: HttpRequest) -> CheckIn | None:
    pk = request.session.get(SESSION_CHECKIN)
    return selectors.open_checkin(pk) if isinstance(pk, int) else None


def _page_context(check_in: CheckIn, **extra: Any) -> dict[str, Any]:
    condition = check_in.schedule.case.condition
    category = condition.category if condition is not None else ""
    return {
        "check_in": check_in,
        "clinic": check_in.schedule.clinic,
        "expectation": EXPECTATIONS[check_in.time_point],
        "long_instrument": asks_long_instrument(check_in.time_point, category),
        "pages": PAGES,
        **extra,
    }


def _form_for(page: int, check_in: CheckIn, ctx: dict[str, Any], data: Any = None) -> Any:
    answer = getattr(check_in, "answer", None)
    initial = selectors.answer_initial(answer)
    if page == 1:
        return PainPage(data, initial=initial, side_effects_only=check_in.side_effects_only)
    if page == 2:
        return SideEffectsPage(data, initial=initial)
    return LastPage(data, initial=initial, long_instrument=ctx["long_instrument"])


@never_cache
@require_http_methods(["GET", "POST"])
def checkin_page(request: HttpRequest, page: int) -> HttpResponse:
    check_in = _session_checkin(request)
    if check_in is None or page not in PAGES:
        return _invalid(request)
    ctx = _page_context(check_in, page=page)
    form = _form_for(page, check_in, ctx, request.POST if request.method == "POST" else None)
    if request.method == "GET":
        checkin_view_record(check_in=check_in, page=page, request=request)
    if request.method == "POST" and form.is_valid():
        values = form.answer_values() if page == 2 else dict(form.cleaned_data)
        try:
            services.checkin_page_save(check_in=check_in, page=page, values=values, request=request)
            if page == PAGES[-1]:
                services.checkin_submit(check_in=check_in, request=request)
                request.session.pop(SESSION_CHECKIN, None)
                request.session[SESSION_DONE] = check_in.pk
                return redirect("followups:done")
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("followups:page", page=page + 1)
    return render(request, "followups/page.html", {**ctx, "form": form})


def _done_checkin(request: HttpRequest) -> CheckIn | None:
    pk = request.session.get(SESSION_DONE)
    return selectors.answered_checkin(pk) if isinstance(pk, int) else None


@never_cache
def done(request: HttpRequest) -> HttpResponse:
    check_in = _done_checkin(request)
    if check_in is None:
        return _invalid(request)
    return render(
        request,
        "followups/done.html",
        _page_context(check_in, review_stage=review_stage_for(check_in)),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    """The review the 1-week (experience) and 6-month (outcome) check-ins invite."""
    check_in = _done_checkin(request)
    stage = review_stage_for(check_in) if check_in is not None else None
    if check_in is None or stage is None:
        return _invalid(request)
    patient = check_in.schedule.case.patient
    form = ReviewForm(request.POST or None, initial={"language": patient.language})
    if request.method == "POST" and form.is_valid():
        try:
            checkin_review_submit(check_in=check_in, request=request, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "followups/review_thanks.html", _page_context(check_in))
    return render(
        request, "followups/review.html", _page_context(check_in, form=form, review_stage=stage)
    )


@never_cache
@limit_links
@rate_limited
@require_http_methods(["GET", "POST"])
def stop(request: HttpRequest, token: str) -> HttpResponse:
    """Pause, stop or resume follow-ups: a page with buttons (a GET changes nothing)."""
    schedule = schedule_for_stop_token(token)
    if schedule is None or schedule.status == ScheduleStatus.ENDED:
        return _invalid(request)
    if request.method == "POST":
        choice = request.POST.get("choice", "")
        if choice in (ScheduleStatus.PAUSED, ScheduleStatus.STOPPED, ScheduleStatus.ACTIVE):
            schedule = services.schedule_set_preference(
                schedule=schedule, status=choice, acting_user=None
            )
    return render(
        request,
        "followups/stop.html",
        {"schedule": schedule, "token": token, "statuses": ScheduleStatus},
    )


@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no form
@never_cache
@limit_links
@rate_limited
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    schedule = schedule_for_stop_token(token)
    if schedule is None:
        return _invalid(request)
    if request.method == "GET":
        return redirect("followups:stop", token=token)
    if schedule.status != ScheduleStatus.ENDED:
        services.schedule_set_preference(
            schedule=schedule, status=ScheduleStatus.STOPPED, acting_user=None
        )
    return HttpResponse(status=204)


@login_required
@require_http_methods(["GET", "POST"])
def clinic_event(request: HttpRequest, pk: int) -> HttpResponse:
    """A clinic rates relatedness of an adverse event of its own patient; others get 404."""
    event = selectors.clinic_event_or_none(pk=pk, user=request.user)  # type: ignore[arg-type]
    if event is None:
        raise Http404
    if request.method == "GET":
        adverse_event_view_record(
            event=event,
            acting_user=request.user,  # type: ignore[arg-type]
            request=request,
        )
    form = ClinicRelatednessForm(
        request.POST or None, initial={"relatedness": event.clinic_relatedness}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.adverse_event_clinic_rate(
                event=event,
                relatedness=form.cleaned_data["relatedness"],
                acting_user=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("followups_portal:event", pk=event.pk)
    return render(request, "followups/clinic_event.html", {"event": event, "form": form})


@login_required
def clinic_events(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Adverse events of the user's clinics (or of one of them); another clinic's is a 404."""
    events = selectors.clinic_events(user=request.user)  # type: ignore[arg-type]
    if slug is not None:
        events = events.filter(clinic__slug=slug)
        if not selectors.is_member(user=request.user, slug=slug):  # type: ignore[arg-type]
            raise Http404
    return render(request, "followups/clinic_events.html", {"events": events})


__all__ = [
    "checkin_page",
    "clinic_event",
    "clinic_events",
    "done",
    "review",
    "start",
    "stop",
    "unsubscribe",
]
