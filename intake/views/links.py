"""Magic links: a GET shows a button, only a POST binds the case to this browser.

Mail scanners open links (GET) before people do; nothing changes on a GET.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.sessions import SessionKind, session_begin

from .. import services
from ..forms import LinkRequestForm
from ..models import TokenPurpose
from ..selectors import SESSION_CASES, SESSION_DRAFT, SESSION_STASH
from .common import limit_links, limit_token_opens, link_not_valid, rate_limited


@never_cache
@limit_token_opens
@rate_limited
@require_http_methods(["GET", "POST"])
def resume_link(request: HttpRequest, token: str) -> HttpResponse:
    found = services.access_token_lookup(raw_token=token, purpose=TokenPurpose.RESUME)
    if found is None:
        return link_not_valid(request)
    if request.method == "GET":
        return render(request, "intake/link_landing.html", {"purpose": "resume"})
    services.access_token_touch(token=found)
    request.session.cycle_key()
    if request.session.get(SESSION_DRAFT) != found.case.pk:
        request.session.pop(SESSION_STASH, None)  # typing left from another draft
    request.session[SESSION_DRAFT] = found.case.pk
    # A link-opened session shows health answers: it ends after the patient idle limit.
    session_begin(request, SessionKind.PATIENT)
    return redirect("intake:step", step=found.case.draft_step or "condition")


@never_cache
@limit_token_opens
@rate_limited
@require_http_methods(["GET", "POST"])
def case_link(request: HttpRequest, token: str) -> HttpResponse:
    found = services.access_token_lookup(raw_token=token, purpose=TokenPurpose.CASE)
    if found is None or not found.case.is_submitted:
        return link_not_valid(request)
    if request.method == "GET":
        return render(request, "intake/link_landing.html", {"purpose": "case"})
    services.access_token_touch(token=found)
    request.session.cycle_key()
    links = request.session.get(SESSION_CASES) or {}
    links[found.case.reference] = found.pk
    request.session[SESSION_CASES] = links
    # The case page holds health data: the patient idle limit and the absolute lifetime apply.
    session_begin(request, SessionKind.PATIENT)
    return redirect("intake:case", reference=found.case.reference)


@never_cache
@limit_links
@rate_limited
@require_http_methods(["GET", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    """'I lost my link': the same answer whether or not we know the address."""
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST":
        if form.honeypot_tripped():
            return render(
                request, "intake/link_request.html", {"form": LinkRequestForm(), "sent": True}
            )
        if form.is_valid():
            # The same answer whatever the count: the form never reveals a known address.
            services.access_links_request(email=form.cleaned_data["email"], request=request)
            return render(
                request, "intake/link_request.html", {"form": LinkRequestForm(), "sent": True}
            )
        return render(request, "intake/link_request.html", {"form": form}, status=400)
    return render(request, "intake/link_request.html", {"form": form})
