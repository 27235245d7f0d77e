"""The clinic portal's records: credentials (upload, download), change requests, reviews.

Same rules as ``portal.py``: the clinic comes from the URL within the acting
user's memberships, so another clinic's object is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import DomainError
from core.uploads import EXTENSIONS, UploadRejected, private_file_response, upload_rejections

from ..forms import CredentialUploadForm, ReviewReplyForm
from ..models import Clinic
from ..selectors import (
    credential_for_download,
    portal_change_request,
    portal_change_requests,
    portal_credentials,
    portal_review,
    portal_reviews,
)
from ..services import change_request_diff, credential_upload, review_reply
from .portal import apply_errors, clinic_view, portal_render


# --- Credentials ---------------------------------------------------------------------------
@clinic_view
def credential_list(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    return portal_render(
        request,
        "portal/credential_list.html",
        clinic,
        "credentials",
        credentials=portal_credentials(acting_user=request.user, clinic=clinic),  # type: ignore[arg-type]
    )


@clinic_view
@require_http_methods(["GET", "POST"])
def credential_new(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """Upload a new document; it counts once our staff verify it. Nothing is stored on refusal."""
    form = CredentialUploadForm(request.POST or None, request.FILES or None)
    # A file the upload handler dropped (over the size cap) never reaches the form:
    # say why next to the file field instead of "this field is required".
    rejections = upload_rejections(request) if request.method == "POST" else []
    if rejections:
        form.is_valid()
        form.errors.pop("document", None)
        form.add_error("document", rejections)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            credential = credential_upload(
                clinic=clinic,
                kind=data["kind"],
                issuer=data["issuer"],
                number=data.get("number") or "",
                issued_on=data["issued_on"],
                expires_on=data.get("expires_on"),
                uploaded_file=data["document"],
                acting_user=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except UploadRejected as exc:
            # The content check refused the file: say why next to the file field.
            form.add_error("document", str(exc.message))
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.info(
                request,
                _(
                    "“%(kind)s” was uploaded. Our staff will verify it; until then it does not "
                    "count towards your badges."
                )
                % {"kind": credential.get_kind_display()},
            )
            return redirect("portal:credentials", slug=clinic.slug)
    return portal_render(request, "portal/credential_form.html", clinic, "credentials", form=form)


@never_cache
@require_GET
def credential_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Stream a credential document as an attachment to concierge staff or the clinic's own staff.

    Not login_required on purpose: an anonymous request gets the same 404 as a
    wrong id, so the URL never confirms that a document exists.
    """
    credential = credential_for_download(acting_user=request.user, pk=pk)  # type: ignore[arg-type]
    extension = EXTENSIONS.get(credential.document_kind, "")  # type: ignore[call-overload]
    return private_file_response(
        credential.document,
        download_name=f"credential-{credential.pk}-{credential.kind}{extension}",
        content_type=credential.document_content_type or "application/octet-stream",
    )


# --- Change requests ---------------------------------------------------------------------------
@clinic_view
def change_list(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """Every change request of the clinic and its state, newest first."""
    requests = list(
        portal_change_requests(acting_user=request.user, clinic=clinic).prefetch_related("target")[  # type: ignore[arg-type]
            :200
        ]
    )
    return portal_render(request, "portal/change_list.html", clinic, "changes", requests=requests)


@clinic_view
def change_detail(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    """One change request with its field-by-field diff and the staff decision."""
    change = portal_change_request(acting_user=request.user, clinic=clinic, pk=pk)  # type: ignore[arg-type]
    return portal_render(
        request,
        "portal/change_detail.html",
        clinic,
        "changes",
        change=change,
        diff=change_request_diff(change),
    )


# --- Reviews ---------------------------------------------------------------------------------
@clinic_view
def review_list(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    return portal_render(
        request,
        "portal/review_list.html",
        clinic,
        "reviews",
        reviews=portal_reviews(acting_user=request.user, clinic=clinic),  # type: ignore[arg-type]
    )


@clinic_view
@require_http_methods(["GET", "POST"])
def review_reply_view(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    """Write the clinic's one public reply to a published review."""
    review = portal_review(acting_user=request.user, clinic=clinic, pk=pk)  # type: ignore[arg-type]
    if review.reply_body:
        messages.info(request, _("This review already has your reply."))
        return redirect("portal:reviews", slug=clinic.slug)
    form = ReviewReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review_reply(
                review=review,
                body=form.cleaned_data["reply_body"],
                acting_user=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except (DomainError, ValidationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your reply is published under the review."))
            return redirect("portal:reviews", slug=clinic.slug)
    return portal_render(
        request, "portal/review_reply.html", clinic, "reviews", form=form, review=review
    )
