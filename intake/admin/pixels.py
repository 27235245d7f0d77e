"""The case page's "pixels checked" button: staff release a withheld DICOM to clinics."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from core.models import User

from ..models import Case
from ..services.imaging import document_pixels_clear


def pixels_clear_command(
    model_admin: admin.ModelAdmin[Case], request: HttpRequest, case: Case
) -> None:
    """Run the service for the posted document of ``case``; report the outcome as a message."""
    raw_id = request.POST.get("document_id", "")
    document = case.documents.filter(pk=int(raw_id)).first() if raw_id.isdigit() else None
    if document is None:
        model_admin.message_user(request, _("Unknown document."), messages.ERROR)
        return
    user: User = request.user  # type: ignore[assignment]
    try:
        document_pixels_clear(document=document, acting_user=user, request=request)
    except DomainError as refused:
        model_admin.message_user(request, str(refused.message), messages.ERROR)
        return
    model_admin.message_user(
        request,
        _("Clinics can now download the de-identified copy of %(name)s.")
        % {"name": document.download_name},
        messages.SUCCESS,
    )
