"""Cases shared with a clinic, in the clinic portal (/portal/cases/).

Views are thin: log in, read through ``intake.portal_selectors`` (which owns
the scoping), record the access, render. A case or document the user may not
see is a 404 from the selector, with nothing of it in the body.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.models import User
from core.uploads import (
    DeidentificationFailed,
    DeidentificationWithheld,
    FileKind,
    private_file_response,
    private_stream_response,
)

from .portal_selectors import (
    portal_case_facts,
    portal_case_or_404,
    portal_clinics_with_access,
    portal_document_or_404,
    portal_documents,
    portal_shares,
    portal_study_archive_latest,
    portal_study_archive_or_404,
)
from .services.access_log import case_view_record, document_download_record
from .services.archives import study_archive_download_record, study_archive_request
from .services.imaging import clinic_dicom_copy, document_pixels_flag


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@require_GET
@never_cache
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Every case a patient shared with one of the user's clinics."""
    user = _user(request)
    shares = list(portal_shares(acting_user=user)[:200])
    clinics = list(portal_clinics_with_access(acting_user=user).order_by("name"))
    return render(
        request,
        "portal_cases/case_list.html",
        {
            "shares": shares,
            "clinics": clinics,
            "show_clinic": len(clinics) > 1,
            "section": "cases",
        },
    )


@require_GET
@never_cache
@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The parts of a shared case a clinic needs to judge candidacy, and its documents."""
    user = _user(request)
    case, clinics = portal_case_or_404(acting_user=user, reference=reference)
    case_view_record(case=case, acting_user=user, clinic=clinics[0], request=request)
    documents = list(portal_documents(case=case))
    return render(
        request,
        "portal_cases/case_detail.html",
        {
            "case": case,
            "section": "cases",
            "clinics": clinics,
            "sections": portal_case_facts(case),
            "documents": documents,
            "has_dicom": any(d.kind == FileKind.DICOM for d in documents),
            "archive": portal_study_archive_latest(case=case, clinics=clinics),
        },
    )


@require_GET
@never_cache
@login_required
def document_download(request: HttpRequest, reference: str, document_id: int) -> HttpResponseBase:
    """Stream one document of a shared case; logged with the clinic it was shared with.

    DICOM goes out de-identified (no name, IDs, birth date, address, institution or
    private tags); concierge staff download the original from the admin.
    """
    user = _user(request)
    document, clinics = portal_document_or_404(
        acting_user=user, reference=reference, document_id=document_id
    )
    response: HttpResponseBase
    if document.kind == FileKind.DICOM:
        if not document.file or not document.file.name:
            raise Http404
        try:
            copy = clinic_dicom_copy(document=document)
        except FileNotFoundError:
            raise Http404 from None
        except DeidentificationWithheld as withheld:
            # Never the original, never the copy: staff look at the pixels first.
            document_pixels_flag(
                document=document,
                reason=withheld.reason,
                clinic=clinics[0],
                acting_user=user,
                request=request,
            )
            return render(
                request,
                "portal_cases/document_refused.html",
                {
                    "case": document.case,
                    "message": withheld.message,
                    "section": "cases",
                    "title": _("A person must check this image first"),
                },
                status=409,
            )
        except DeidentificationFailed as refused:
            # Fail closed: the original is never the fallback.
            return render(
                request,
                "portal_cases/document_refused.html",
                {
                    "case": document.case,
                    "message": refused.message,
                    "section": "cases",
                },
                status=409,
            )
        response = private_stream_response(
            copy, download_name=document.download_name, content_type=document.content_type
        )
    else:
        response = private_file_response(
            document.file,
            download_name=document.download_name,
            content_type=document.content_type,
        )
    # Logged once the file is open: a missing file is a 404, not a download.
    document_download_record(
        document=document, acting_user=user, request=request, clinic=clinics[0]
    )
    return response


@require_POST
@login_required
def study_archive_request_view(request: HttpRequest, reference: str) -> HttpResponseRedirect:
    """Ask for all of the case's DICOM imaging as one zip; the page shows when it is ready."""
    user = _user(request)
    case, clinics = portal_case_or_404(acting_user=user, reference=reference)
    try:
        study_archive_request(case=case, clinic=clinics[0], acting_user=user, request=request)
    except DomainError as refused:
        messages.error(request, str(refused.message))
    else:
        messages.success(
            request,
            _("The zip is being prepared. This page shows a download link when it is ready."),
        )
    return redirect(reverse("portal_cases:detail", args=[case.reference]) + "#imaging-zip")


@require_GET
@never_cache
@login_required
def study_archive_download(
    request: HttpRequest, reference: str, archive_id: int
) -> HttpResponseBase:
    """Stream a ready imaging zip to staff of the clinic it was made for, until it expires."""
    user = _user(request)
    archive, _clinics = portal_study_archive_or_404(
        acting_user=user, reference=reference, archive_id=archive_id
    )
    response = private_file_response(
        archive.file, download_name=archive.download_name, content_type="application/zip"
    )
    study_archive_download_record(archive=archive, acting_user=user, request=request)
    return response
