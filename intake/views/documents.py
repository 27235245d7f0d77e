"""Uploads and downloads for the wizard's draft and the patient's case page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.uploads import private_file_response

from .. import services
from ..forms import UploadForm
from ..models import Case, UploadChannel
from ..selectors import document_for_case_or_404, draft_for_session, patient_case_or_404
from .common import (
    install_upload_handlers,
    limit_posts,
    link_not_valid,
    parse_upload_body,
    rate_limited,
    wants_json,
)

# Multipart framing and the form fields around the files.
BODY_SLACK_BYTES = 1024 * 1024


def _result(
    request: HttpRequest, *, ok: bool, message: str, back: str, status: int = 200
) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"ok": ok, "message": message}, status=status)
    (messages.success if ok else messages.error)(request, message)
    return redirect(back)


def _too_big_for_case(request: HttpRequest, case: Case) -> bool:
    """Refuse before reading a byte when the body cannot fit in what the case has left."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > services.case_bytes_left(case) + BODY_SLACK_BYTES


def _store(request: HttpRequest, case: Case, *, channel: str, back: str) -> HttpResponse:
    if _too_big_for_case(request, case):
        return _result(
            request,
            ok=False,
            back=back,
            status=413,
            message=_("These files would take your case over its %(mb)s MB limit.")
            % {"mb": settings.INTAKE_MAX_CASE_BYTES // (1024 * 1024)},
        )
    install_upload_handlers(request)
    error = parse_upload_body(request)
    return csrf_protect(_store_checked)(request, case, channel, back, error)


def _store_checked(
    request: HttpRequest, case: Case, channel: str, back: str, error: str | None
) -> HttpResponse:
    if error:
        return _result(request, ok=False, message=error, back=back, status=400)
    form = UploadForm(request.POST, request.FILES, file_mb=settings.INTAKE_MAX_FILE_BYTES // 2**20)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return _result(request, ok=False, message=str(first), back=back, status=400)
    files = form.cleaned_data["files"]
    doc_type = form.cleaned_data["doc_type"]
    try:
        docs = services.case_documents_add(
            case=case,
            uploads=[(f, doc_type) for f in files],
            channel=channel,
            request=request,
        )
    except DomainError as exc:
        return _result(request, ok=False, message=str(exc.message), back=back, status=400)
    return _result(
        request,
        ok=True,
        back=back,
        message=ngettext("%(n)s file uploaded.", "%(n)s files uploaded.", len(docs))
        % {"n": len(docs)},
    )


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
    return _store(request, case, channel=UploadChannel.WIZARD, back=back)


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
    return _store(request, case, channel=UploadChannel.CASE_PAGE, back=back)


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
    return private_file_response(
        document.file, download_name=document.download_name, content_type=document.content_type
    )


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
    return private_file_response(
        document.file, download_name=document.download_name, content_type=document.content_type
    )
