"""The patient's case page, reached through a magic link bound to this session."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from clinics.models import Clinic
from core.exceptions import DomainError
from core.middleware import valid_zone

from .. import services
from ..case_panels import case_panels_for
from ..forms import MessageForm, ShareForm, UploadForm, WithdrawForm
from ..forms.rights import ErasureForm
from ..models import Case
from ..presenters import status_in_words, what_we_need
from ..rights_selectors import rights_panel
from ..selectors import (
    SESSION_CASES,
    SESSION_DONE,
    active_shares_for_case,
    case_consents_to_share,
    documents_for_case,
    messages_for_case,
    patient_case_or_404,
    patient_rights_case_or_404,
    sent_proposal_for_case,
)
from ..services.access_log import case_page_view_record
from .common import browser_zone, limit_posts, link_not_valid, rate_limited
from .uploads import Received


def _share_choices(case: Case) -> set[int]:
    shared = set(active_shares_for_case(case=case).values_list("clinic_id", flat=True))
    return services.shareable_clinic_ids(case) | shared


def _page(request: HttpRequest, case: Case, *, status: int = 200, **forms: object) -> HttpResponse:
    title, explanation = status_in_words(case)
    proposal = sent_proposal_for_case(case=case)
    shares = {s.clinic_id: s for s in active_shares_for_case(case=case)}
    shareable = services.shareable_clinic_ids(case)
    preferred = case.preferred_clinic if case.preferred_clinic_id in shareable else None
    proposed_ids = {item.clinic_id for item in proposal.items.all()} if proposal else set()
    context = {
        "case": case,
        "status_title": title,
        "status_explanation": explanation,
        "needs": what_we_need(case),
        "documents": documents_for_case(case=case),
        "proposal": proposal,
        "shares": shares,
        "shareable": shareable,
        "preferred_clinic": preferred if preferred and preferred.pk not in proposed_ids else None,
        "shared_elsewhere": [
            s
            for cid, s in shares.items()
            if cid not in proposed_ids and (preferred is None or cid != preferred.pk)
        ],
        "thread": messages_for_case(case=case),
        "upload_form": forms.get("upload_form")
        or UploadForm(file_mb=settings.INTAKE_MAX_FILE_BYTES // 2**20),
        "message_form": forms.get("message_form") or MessageForm(),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "max_case_mb": settings.INTAKE_MAX_CASE_BYTES // 2**20,
        "consented_to_share": case_consents_to_share(case=case),
        # "Your data": the patient's export and erasure request (views/rights.py).
        "rights": rights_panel(case=case),
        "erasure_form": ErasureForm(),
    }
    with timezone.override(_viewer_zone(request, case)):
        # Sections higher apps add (consultations, ...), built in the viewer's zone.
        context["panels"] = case_panels_for(request, case)
        return render(request, "intake/case/page.html", context, status=status)


def _closed_page(request: HttpRequest, case: Case) -> HttpResponse:
    """A closed or withdrawn case: its state in plain words and "Your data", nothing that
    could change the case (no uploads, sharing, questions, bookings or withdrawal)."""
    title, explanation = status_in_words(case)
    context = {
        "case": case,
        "status_title": title,
        "status_explanation": explanation,
        "rights": rights_panel(case=case),
        "erasure_form": ErasureForm(),
    }
    with timezone.override(_viewer_zone(request, case)):
        return render(request, "intake/case/closed.html", context)


def _viewer_zone(request: HttpRequest, case: Case) -> str:
    # The browser's (tz.js cookie) once known; before that (the first visit from
    # the emailed link) the zone the patient gave us, not UTC.
    return browser_zone(request) or valid_zone(str(case.patient.time_zone)) or "UTC"


def case_documents_fragment(request: HttpRequest, case: Case, received: Received) -> HttpResponse:
    """The page's document list with what just arrived and what was refused (for htmx)."""
    context = {"case": case, "documents": documents_for_case(case=case), "received": received}
    with timezone.override(_viewer_zone(request, case)):
        return render(request, "intake/case/_documents.html", context)


def _case_or_none(request: HttpRequest, reference: str) -> Case | None:
    try:
        return patient_case_or_404(request=request, reference=reference)
    except Http404:
        return None


@never_cache
@require_GET
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        # Any submitted case: a closed or withdrawn one still shows "Your data".
        case = patient_rights_case_or_404(request=request, reference=reference)
    except Http404:
        return link_not_valid(request)
    case_page_view_record(case=case, request=request)
    if not case.is_open:
        return _closed_page(request, case)
    return _page(request, case)


@never_cache
@limit_posts
@rate_limited
@require_POST
def case_share(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_none(request, reference)
    if case is None:
        return link_not_valid(request)
    form = ShareForm(request.POST, clinic_ids=_share_choices(case))
    if not form.is_valid():
        messages.error(request, _("Please choose one of the clinics listed."))
        return redirect("intake:case", reference=case.reference)
    clinic = Clinic.objects.get(pk=form.cleaned_data["clinic"])
    try:
        if form.cleaned_data["action"] == "grant":
            services.clinic_share_grant(case=case, clinic=clinic, request=request)
            messages.success(
                request, _("%(clinic)s can now see your case.") % {"clinic": clinic.name}
            )
        else:
            services.clinic_share_revoke(case=case, clinic=clinic, request=request)
            messages.success(
                request, _("%(clinic)s can no longer see your case.") % {"clinic": clinic.name}
            )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("intake:case", reference=case.reference)


@never_cache
@limit_posts
@rate_limited
@require_POST
def case_message(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_none(request, reference)
    if case is None:
        return link_not_valid(request)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _page(request, case, status=400, message_form=form)
    try:
        services.case_message_send(case=case, body=form.cleaned_data["body"], request=request)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Your question was sent. We usually answer within two working days.")
        )
    return redirect("intake:case", reference=case.reference)


@never_cache
@limit_posts
@rate_limited
@require_POST
def case_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_none(request, reference)
    if case is None:
        return link_not_valid(request)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _page(request, case, status=400, withdraw_form=form)
    try:
        services.case_withdraw(case=case, request=request)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("intake:case", reference=case.reference)
    links = request.session.get(SESSION_CASES) or {}
    links.pop(case.reference, None)
    request.session[SESSION_CASES] = links
    if request.session.get(SESSION_DONE) == case.reference:
        request.session.pop(SESSION_DONE)
    return render(request, "intake/case/withdrawn.html", {"reference": case.reference})
