"""The records step: one form picks files, says what they are, and moves on.

Its POST carries the files still chosen in the picker (nothing is lost when a
patient presses "Save and continue" without uploading first), so it reads the
body itself: the capped upload handler must be in place before anything parses
it, which is why the view is csrf_exempt outside and csrf_protect inside, like
the upload endpoints. With JavaScript, picking files uploads them at once
(htmx, ``intake:wizard_upload``) and this POST usually carries none.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from ..models import Case, UploadChannel
from ..selectors import documents_for_case, draft_for_session
from ..steps import STEP_NAMES, step_index
from .common import install_upload_handlers, limit_posts, parse_upload_body, rate_limited
from .uploads import Received, flash, over_case_limit_message, receive_uploads, too_big_for_case
from .wizard import step_view

STEP = "records"


def records_fragment(request: HttpRequest, case: Case, received: Received) -> HttpResponse:
    """The step's document list with what just arrived and what was refused (for htmx)."""
    return render(
        request,
        "intake/wizard/_documents.html",
        {"case": case, "documents": documents_for_case(case=case), "received": received},
    )


def _reached_records(case: Case) -> bool:
    reached = case.draft_step if case.draft_step in STEP_NAMES else STEP_NAMES[1]
    return step_index(reached) >= step_index(STEP)


@csrf_exempt  # checked inside, after the capped upload handler is installed
@never_cache
@limit_posts
@rate_limited
@require_http_methods(["GET", "POST"])
def records_step(request: HttpRequest) -> HttpResponse:
    case = draft_for_session(request)
    if request.method != "POST" or case is None or not _reached_records(case):
        # Nothing to store: the ordinary step view answers (and redirects where it must).
        return csrf_protect(step_view)(request, step=STEP)
    if too_big_for_case(request, case):
        # Not a byte is read: the files cannot fit, and the answers of the step stay as they were.
        flash(request, Received(error=over_case_limit_message()))
        return redirect("intake:step", step=STEP)
    install_upload_handlers(request)
    error = parse_upload_body(request)
    return csrf_protect(_records_post)(request, case, error)


def _records_post(request: HttpRequest, case: Case, error: str | None) -> HttpResponse:
    received = receive_uploads(request, case, channel=UploadChannel.WIZARD, parse_error=error)
    flash(request, received)
    if received.refused or received.error:
        # Stay: the patient must see which files did not arrive before moving on.
        return redirect("intake:step", step=STEP)
    return step_view(request, step=STEP)
