"""Uploads and downloads for the wizard's draft and the patient's case page.

The upload views read the body themselves (csrf_exempt outside, csrf_protect
inside) so the capped upload handler is installed before anything parses it.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.uploads import private_file_response

from .. import services
from ..models import Case, CaseDocument, UploadChannel
from ..selectors import document_for_case_or_404, draft_for_session, patient_case_or_404
from ..services.access_log import document_download_record
from .case_page import case_documents_fragment
from .common import (
    install_upload_handlers,
    limit_posts,
    link_not_valid,
    parse_upload_body,
    rate_limited,
    wants_json,
)
from .records import records_fragment
from .uploads import (
    FragmentRenderer,
    Received,
    as_json,
    over_case_limit_message,
    receive_uploads,
    respond,
    too_big_for_case,
)


def _store(
    request: HttpRequest,
    case: Case,
    *,
    channel: str,
    back: str,
    fragment: FragmentRenderer,
) -> HttpResponse:
    if too_big_for_case(request, case):
        received = Received(error=over_case_limit_message())
        if wants_json(request):
            return as_json(received, status=413)
        return respond(request, case, received, back=back, fragment=fragment)
    install_upload_handlers(request)
    error = parse_upload_body(request)
    return csrf_protect(_store_checked)(request, case, channel, back, fragment, error)


def _store_checked(
    request: HttpRequest,
    case: Case,
    channel: str,
    back: str,
    fragment: FragmentRenderer,
    error: str | None,
) -> HttpResponse:
    received = receive_uploads(request, case, channel=channel, parse_error=error)
    return respond(request, case, received, back=back, fragment=fragment)


@csrf_exempt  # checked inside, after the capped upload handler is installed
@never_cache
@limit_posts
@rate_limited
@require_POST
def wizard_upload(request: HttpRequest) -> HttpResponse:
    case = draft_for_session(request)
    if case is None:
        return link_not_valid(request)
    back = reverse("intake:step", kwargs={"step": "records"})
    return _store(request, case, channel=UploadChannel.WIZARD, back=back, fragment=records_fragment)


@csrf_exempt  # checked inside, after the capped upload handler is installed
@never_cache
@limit_posts
@rate_limited
@require_POST
def case_upload(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        case = patient_case_or_404(request=request, reference=reference)
    except Http404:
        return link_not_valid(request)
    back = reverse("intake:case", kwargs={"reference": case.reference})
    return _store(
        request, case, channel=UploadChannel.CASE_PAGE, back=back, fragment=case_documents_fragment
    )


@never_cache
@require_GET
def wizard_document(request: HttpRequest, document_id: int) -> HttpResponseBase:
    case = draft_for_session(request)
    if case is None:
        return link_not_valid(request)
    try:
        document = document_for_case_or_404(case=case, document_id=document_id)
    except Http404:
        return link_not_valid(request)
    return _download(request, document)


@never_cache
@limit_posts
@rate_limited
@require_POST
def wizard_document_remove(request: HttpRequest, document_id: int) -> HttpResponse:
    case = draft_for_session(request)
    if case is None:
        return link_not_valid(request)
    try:
        document = document_for_case_or_404(case=case, document_id=document_id)
        services.case_document_remove(document=document, request=request)
    except Http404:
        return link_not_valid(request)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The file was removed."))
    return redirect("intake:step", step="records")


@never_cache
@require_GET
def case_document(request: HttpRequest, reference: str, document_id: int) -> HttpResponseBase:
    try:
        case = patient_case_or_404(request=request, reference=reference)
        document = document_for_case_or_404(case=case, document_id=document_id)
    except Http404:
        return link_not_valid(request)
    return _download(request, document)


def _download(request: HttpRequest, document: CaseDocument) -> HttpResponseBase:
    """Stream the patient's own document; logged once the file is open (a missing
    file is a 404, not a download)."""
    response = private_file_response(
        document.file, download_name=document.download_name, content_type=document.content_type
    )
    document_download_record(document=document, acting_user=None, request=request)
    return response
