"""The intake wizard: one topic per step, the draft saved in the database."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.contrib import messages
from django.core.validators import slug_re
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clinics.models import Clinic, ConditionCategory
from core.exceptions import DomainError
from core.middleware import TZ_COOKIE, valid_zone
from core.timezones import canonical_zone

from .. import services
from ..forms import STEP_FORMS, UNLISTED, UploadForm
from ..models import Case, TokenPurpose
from ..presenters import review_sections
from ..selectors import (
    SESSION_CASES,
    SESSION_DONE,
    SESSION_DRAFT,
    SESSION_STASH,
    documents_for_case,
    draft_for_session,
)
from ..steps import STEP_NAMES, STEPS, next_step, previous_step, step_index
from .common import limit_links, limit_posts, rate_limited

SESSION_CLINIC = "intake_clinic_slug"
STASH_MAX_CHARS = 20_000

# Follow-up questions shown only when their trigger has one of the values
# (static/js/intake.js); the forms require them only in that case.
FOLLOW_UPS: dict[str, tuple[str, list[str], str]] = {
    "condition": ("category", [c.value for c in ConditionCategory], ""),
    "condition_other": ("category", [UNLISTED], ""),
    "nsaids_details": ("takes_nsaids", ["yes"], "yes"),
    "immunosuppressants_details": ("takes_immunosuppressants", ["yes"], "yes"),
    "anticoagulants_details": ("takes_anticoagulants", ["yes"], "yes"),
    "cell_therapy_where": ("had_cell_therapy", ["yes"], "yes"),
    "cell_therapy_when": ("had_cell_therapy", ["yes"], "yes"),
    "cell_therapy_result": ("had_cell_therapy", ["yes"], "yes"),
    "cell_therapy_adverse": ("had_cell_therapy", ["yes"], "yes"),
    "active_infection_details": ("active_infection", ["yes"], "yes"),
    "cancer_which": ("cancer", ["past", "current"], "yes"),
    "cancer_year": ("cancer", ["past", "current"], "yes"),
    "immune_compromise_details": ("immune_compromise", ["mild", "severe"], "yes"),
    "bleeding_disorder_details": ("bleeding_disorder", ["yes"], "yes"),
    "elsewhere_clinic_name": ("wants_clinic_check", ["on"], "check"),
    "elsewhere_clinic_website": ("wants_clinic_check", ["on"], "check"),
}


def _preferred_clinic(request: HttpRequest) -> Clinic | None:
    slug = request.session.get(SESSION_CLINIC)
    if not isinstance(slug, str) or not slug_re.fullmatch(slug):
        return None
    return Clinic.objects.public().filter(slug=slug).first()


def _step_url(step: str) -> str:
    return reverse("intake:step", kwargs={"step": step})


def _stash_key(case: Case | None, step: str) -> str:
    # Keyed by draft: on a shared browser, another patient's resume link must never
    # bring back what the previous patient typed.
    return f"{case.pk if case else 0}:{step}"


def _stash(request: HttpRequest, case: Case | None, step: str) -> None:
    """Keep what was typed on a step left with 'Back' while invalid."""
    data = {k: v for k, v in request.POST.lists() if k not in {"csrfmiddlewaretoken", "nav"}}
    # Names count too: a body of 2 MB of field names must not land in the session.
    if sum(len(k) + sum(len(x) for x in values) for k, values in data.items()) <= STASH_MAX_CHARS:
        stash = request.session.get(SESSION_STASH) or {}
        stash[_stash_key(case, step)] = data
        request.session[SESSION_STASH] = stash


def _unstash(request: HttpRequest, case: Case | None, step: str) -> dict[str, list[str]] | None:
    stash = request.session.get(SESSION_STASH)
    if not stash:
        # Reading must not write: a session row per anonymous visit would grow without end.
        return None
    data = stash.pop(_stash_key(case, step), None)
    if data is not None:
        request.session[SESSION_STASH] = stash
    return data


def _build_form(step: str, case: Case | None, data: Any = None, *, request: HttpRequest) -> Any:
    form_class = STEP_FORMS[step]
    kwargs: dict[str, Any] = {"data": data}
    if step == "about":
        kwargs["instance"] = case.patient if case else None
        if case is None:
            kwargs["initial"] = {
                "language": (get_language() or "en")[:2],
                # The browser's zone (static/js/site.js); unknown, the picker asks.
                "time_zone": canonical_zone(
                    valid_zone(unquote(request.COOKIES.get(TZ_COOKIE, ""))[:64])
                ),
            }
    elif step == "consent":
        pass
    else:
        kwargs["instance"] = case
        if step == "records" and case is not None:
            kwargs["has_documents"] = case.documents.exists()
    return form_class(**kwargs)


def _render_step(
    request: HttpRequest, step: str, case: Case | None, form: Any, *, status: int = 200
) -> HttpResponse:
    index = step_index(step)
    reached = step_index(case.draft_step) if case and case.draft_step in STEP_NAMES else 0
    context: dict[str, Any] = {
        "step": step,
        "steps": [
            {
                "name": s.name,
                "title": s.title,
                "number": i + 1,
                "done": i < index,
                "current": i == index,
                "reachable": case is not None and i <= reached,
            }
            for i, s in enumerate(STEPS)
        ],
        "step_number": index + 1,
        "step_count": len(STEPS),
        "step_title": STEPS[index].title,
        "previous": previous_step(step),
        "case": case,
        "form": form,
        "follow_ups": FOLLOW_UPS,
        "preferred_clinic": (case.preferred_clinic if case else _preferred_clinic(request)),
        "max_file_mb": settings.INTAKE_MAX_FILE_BYTES // (1024 * 1024),
        "max_case_mb": settings.INTAKE_MAX_CASE_BYTES // (1024 * 1024),
        "notice_version": settings.INTAKE_PRIVACY_NOTICE_VERSION,
    }
    if step == "records" and case is not None:
        context["documents"] = documents_for_case(case=case)
        context["upload_form"] = UploadForm(file_mb=context["max_file_mb"])
        context["upload_url"] = reverse("intake:wizard_upload")
    if step == "review" and case is not None:
        context["sections"] = review_sections(case)
        context["missing"] = services.intake_missing_steps(case)
    template = {
        "records": "intake/wizard/records.html",
        "consent": "intake/wizard/consent.html",
        "review": "intake/wizard/review.html",
    }.get(step, "intake/wizard/step.html")
    return render(request, template, context, status=status)


@never_cache
@limit_posts
@rate_limited
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """/intake/: the first step; ``?clinic=<slug>`` pre-selects a vetted clinic."""
    slug = request.GET.get("clinic", "")[:200]
    if slug:
        # Only a well-formed slug reaches the database: a NUL byte there is a 500.
        if slug_re.fullmatch(slug) and Clinic.objects.public().filter(slug=slug).exists():
            request.session[SESSION_CLINIC] = slug
        else:
            request.session.pop(SESSION_CLINIC, None)
    return step_view(request, step="about")


@never_cache
@limit_posts
@rate_limited
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, step: str) -> HttpResponse:
    return step_view(request, step=step)


def step_view(request: HttpRequest, *, step: str) -> HttpResponse:
    if step not in STEP_NAMES:
        return redirect("intake:start")
    case = draft_for_session(request)
    if case is None and step != "about":
        messages.info(request, _("Please start with the first step."))
        return redirect("intake:start")
    if case is not None and step_index(step) > step_index(case.draft_step or STEP_NAMES[1]):
        return redirect(_step_url(case.draft_step))
    if request.method == "POST":
        return _post_step(request, step, case)
    if step == "review":
        return _render_step(request, step, case, None)
    stashed = _unstash(request, case, step)
    form = _build_form(step, case, stashed, request=request)
    return _render_step(
        request, step, case, form, status=400 if stashed and not form.is_valid() else 200
    )


def _post_step(request: HttpRequest, step: str, case: Case | None) -> HttpResponse:
    nav = request.POST.get("nav", "next")
    if step == "review":
        return _submit(request, case)
    form = _build_form(step, case, request.POST, request=request)
    if step == "about" and form.honeypot_tripped():
        return HttpResponseBadRequest(_("This form could not be processed."))
    if not form.is_valid():
        if nav == "back" and previous_step(step):
            _stash(request, case, step)
            return redirect(_step_url(previous_step(step)))  # type: ignore[arg-type]
        return _render_step(request, step, case, form, status=400)
    target = previous_step(step) if nav == "back" else next_step(step)
    try:
        if case is None:
            case = services.intake_draft_start(
                patient_data=form.cleaned_data,
                preferred_clinic=_preferred_clinic(request),
                request=request,
            )
            request.session.cycle_key()
            request.session[SESSION_DRAFT] = case.pk
        elif step == "consent":
            services.intake_consent_record(
                case=case,
                share_with_chosen_clinics=form.cleaned_data["share_with_chosen_clinics"],
                request=request,
            )
        else:
            services.intake_draft_save(
                case=case,
                step=step,
                data=form.cleaned_data,
                reached=next_step(step) if nav != "back" else None,
            )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("intake:start")
    if nav == "save":
        return redirect(_step_url(step))
    return redirect(_step_url(target or step))


def _submit(request: HttpRequest, case: Case | None) -> HttpResponse:
    if case is None:
        return redirect("intake:start")
    try:
        submitted = services.intake_submit(case_id=case.pk, request=request)
    except DomainError as exc:
        if exc.code == "incomplete":
            messages.error(request, str(exc.message))
            return redirect(_step_url("review"))
        messages.error(request, str(exc.message))
        return redirect("intake:start")
    _bind_done(request, submitted)
    return redirect("intake:done")


def _bind_done(request: HttpRequest, case: Case) -> None:
    """After submission this browser may open the case page without the email link."""
    token = services.access_token_issue_for_session(
        case=case, purpose=TokenPurpose.CASE, acting_user=None
    )
    request.session.pop(SESSION_DRAFT, None)
    request.session.pop(SESSION_STASH, None)
    links = request.session.get(SESSION_CASES) or {}
    links[case.reference] = token.pk
    request.session[SESSION_CASES] = links
    request.session[SESSION_DONE] = case.reference


@never_cache
def done(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(SESSION_DONE)
    if not isinstance(reference, str):
        return redirect("intake:start")
    return render(request, "intake/wizard/done.html", {"reference": reference})


@never_cache
@limit_links
@rate_limited
@require_POST
def email_resume_link(request: HttpRequest) -> HttpResponse:
    """Send the draft's owner a link to continue on another device."""
    case = draft_for_session(request)
    if case is None:
        return redirect("intake:start")
    services.resume_link_request(case=case, request=request)
    messages.success(
        request,
        _("We sent a link to %(email)s. It works for %(days)s days.")
        % {"email": case.patient.email, "days": settings.INTAKE_RESUME_LINK_DAYS},
    )
    step = request.POST.get("step", "")
    return HttpResponseRedirect(_step_url(step if step in STEP_NAMES else case.draft_step))


@never_cache
@require_POST
def start_over(request: HttpRequest) -> HttpResponse:
    """Forget the draft in this browser (a shared computer); the draft itself stays resumable."""
    for key in (SESSION_DRAFT, SESSION_STASH, SESSION_CLINIC):
        request.session.pop(key, None)
    return redirect("intake:start")
