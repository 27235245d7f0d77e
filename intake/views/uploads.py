"""Receiving a batch of files: one path for the upload endpoints and the records step.

A batch is parsed by the capped handler (intake/views/common.py), then each
file is stored or refused on its own (``services.case_documents_add``). What
arrived and what was refused is told three ways: JSON to scripts, a page
fragment to htmx (the document list, swapped in place), and flash messages
after a plain form post.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_htmx.middleware import HtmxDetails

from core.exceptions import DomainError
from core.uploads import skipped_uploads

from .. import services
from ..forms import UploadForm
from ..models import Case, CaseDocument
from ..services import RefusedFile
from .common import wants_json

# Multipart framing and the form fields around the files.
BODY_SLACK_BYTES = 1024 * 1024


@dataclass
class Received:
    """What became of one request's files."""

    stored: list[CaseDocument] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)
    # Set when the whole batch was refused (nothing of it was stored).
    error: str = ""

    @property
    def anything(self) -> bool:
        """Whether the request carried any file at all (or a reason it carried none)."""
        return bool(self.stored or self.refused or self.error)


FragmentRenderer = Callable[[HttpRequest, Case, Received], HttpResponse]


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent this request (django-htmx's middleware reads its HX-Request header)."""
    details = getattr(request, "htmx", None)
    return isinstance(details, HtmxDetails) and bool(details)


def too_big_for_case(request: HttpRequest, case: Case) -> bool:
    """Refuse before reading a byte when the body cannot fit in what the case has left."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > services.case_bytes_left(case) + BODY_SLACK_BYTES


def over_case_limit_message() -> str:
    return _("These files would take your case over its %(mb)s MB limit.") % {
        "mb": settings.INTAKE_MAX_CASE_BYTES // (1024 * 1024)
    }


def receive_uploads(
    request: HttpRequest, case: Case, *, channel: str, parse_error: str | None
) -> Received:
    """Store every good file of the parsed request; name each refused one with its reason."""
    skipped = [
        RefusedFile(name=name, reason=reason, code="too_large")
        for name, reason in skipped_uploads(request)
    ]
    if parse_error:
        return Received(error=parse_error)
    form = UploadForm(request.POST, request.FILES, file_mb=settings.INTAKE_MAX_FILE_BYTES // 2**20)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return Received(refused=skipped, error=str(first))
    files = form.chosen_files()
    if not files:
        return Received(refused=skipped)
    try:
        outcome = services.case_documents_add(
            case=case,
            uploads=[(f, form.chosen_doc_type()) for f in files],
            channel=channel,
            request=request,
        )
    except DomainError as exc:
        return Received(refused=skipped, error=str(exc.message))
    finally:
        for uploaded in files:
            uploaded.close()  # deletes the temporary file now, not at the end of the request
    return Received(stored=outcome.stored, refused=skipped + outcome.refused)


def stored_message(received: Received) -> str:
    n = len(received.stored)
    return ngettext("%(n)s file uploaded.", "%(n)s files uploaded.", n) % {"n": n}


def refused_message(refused: RefusedFile) -> str:
    return _("“%(name)s” was not uploaded: %(reason)s") % {
        "name": refused.name,
        "reason": refused.reason,
    }


def flash(request: HttpRequest, received: Received) -> None:
    """Tell a plain form post what arrived and what did not (shown on the next page)."""
    if received.stored:
        messages.success(request, stored_message(received))
    for refused in received.refused:
        messages.error(request, refused_message(refused))
    if received.error:
        messages.error(request, received.error)


def as_json(received: Received, *, status: int | None = None) -> JsonResponse:
    """For scripts: 200 when something was stored, 400 when nothing was."""
    parts = [stored_message(received)] if received.stored else []
    parts += [refused_message(r) for r in received.refused]
    if received.error:
        parts.append(received.error)
    if not parts:
        parts.append(str(_("Choose at least one file to upload.")))
    return JsonResponse(
        {
            "ok": bool(received.stored) and not received.refused and not received.error,
            "message": " ".join(parts),
            "stored": [
                {"name": d.original_name, "type": str(d.get_doc_type_display())}
                for d in received.stored
            ],
            "refused": [{"name": r.name, "reason": str(r.reason)} for r in received.refused],
        },
        status=status or (200 if received.stored else 400),
    )


def respond(
    request: HttpRequest,
    case: Case,
    received: Received,
    *,
    back: str,
    fragment: FragmentRenderer,
) -> HttpResponse:
    if wants_json(request):
        return as_json(received)
    if is_htmx(request):
        # Always 200: htmx swaps only successful answers, and refusals belong in the list.
        return fragment(request, case, received)
    if not received.anything:
        received = Received(error=str(_("Choose at least one file to upload.")))
    flash(request, received)
    return redirect(back)
