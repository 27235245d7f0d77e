"""The patient's rights from their case page: a copy of their data, and erasure.

Every view first authorises the session for the case (a live case link bound
to this browser); the export is looked up for that case's patient only. The
case may be open, closed or withdrawn (``patient_rights_case_or_404``): a
patient keeps these rights after their case ends.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.uploads import private_file_response

from ..forms.rights import ErasureForm
from ..models import Case
from ..rights_selectors import DownloadRefusal, data_export_for_download
from ..selectors import patient_rights_case_or_404
from ..services.data_export import data_export_download_record, data_export_request
from ..services.erasure import erasure_request
from .common import limit_posts, link_not_valid, rate_limited


def _case_or_none(request: HttpRequest, reference: str) -> Case | None:
    try:
        return patient_rights_case_or_404(request=request, reference=reference)
    except Http404:
        return None


def _back(case: Case) -> HttpResponse:
    return redirect(reverse("intake:case", args=[case.reference]) + "#your-data")


@never_cache
@limit_posts
@rate_limited
@require_POST
def case_export_request(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_none(request, reference)
    if case is None:
        return link_not_valid(request)
    try:
        data_export_request(case=case, request=request)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _(
                "We are preparing your download. It usually takes a few minutes; we will also "
                "e-mail you when it is ready."
            ),
        )
    return _back(case)


@never_cache
@require_GET
def case_export_download(request: HttpRequest, reference: str, token: str) -> HttpResponseBase:
    case = _case_or_none(request, reference)
    if case is None:
        return link_not_valid(request)
    found = data_export_for_download(case=case, token=token)
    if found.export is None:
        expired = found.refusal == DownloadRefusal.EXPIRED
        return render(
            request,
            "intake/rights/export_unavailable.html",
            {"reference": case.reference, "expired": expired},
            status=410 if expired else 404,
        )
    response = private_file_response(
        found.export.file,
        download_name=found.export.download_name,
        content_type="application/zip",
    )
    data_export_download_record(export=found.export, request=request)
    return response


@never_cache
@limit_posts
@rate_limited
@require_POST
def case_erasure_request(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_none(request, reference)
    if case is None:
        return link_not_valid(request)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm that you want your data erased."))
        return _back(case)
    try:
        erasure_request(case=case, request=request)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _(
                "We have your request. Our team checks it and erases your data within a month; "
                "until then this page keeps working."
            ),
        )
    return _back(case)
