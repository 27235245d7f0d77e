"""Test-only views wired through the real middleware stack and upload handler."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from core.uploads import (
    ALL_KINDS,
    CappedUploadHandler,
    UploadRejected,
    private_file_response,
    sanitize_upload,
    upload_rejections,
)


@csrf_exempt
def probe(request: HttpRequest) -> HttpResponse:
    """What the view sees after the handler: files, their classes, rejections."""
    files = {
        field: [(f.name, type(f).__name__, f.size) for f in request.FILES.getlist(field)]
        for field in request.FILES
    }
    return JsonResponse(
        {"files": files, "post": sorted(request.POST), "rejections": upload_rejections(request)}
    )


@csrf_exempt
def tight(request: HttpRequest) -> HttpResponse:
    """A view with its own, tighter cap, installed before the body is read."""
    request.upload_handlers = [CappedUploadHandler(request, max_file_bytes=500)]
    return probe(request)


@csrf_exempt
def sanitize(request: HttpRequest) -> HttpResponse:
    """Receive one file and run it through sanitize_upload, as an intake view would."""
    rejections = upload_rejections(request)
    uploaded = request.FILES.get("document")
    if uploaded is None:
        return JsonResponse({"rejections": rejections}, status=400)
    try:
        with sanitize_upload(
            uploaded, allowed=ALL_KINDS, max_bytes=settings.UPLOAD_MAX_FILE_BYTES
        ) as sanitized:
            return JsonResponse(
                {"kind": sanitized.kind, "size": sanitized.size, "sha256": sanitized.sha256}
            )
    except UploadRejected as exc:
        return JsonResponse({"error": str(exc.message), "code": exc.code}, status=400)


def download(request: HttpRequest, name: str) -> HttpResponseBase:
    fieldfile = FieldFile(None, FileField(storage=default_storage), f"tests/{name}")  # type: ignore[arg-type]
    return private_file_response(
        fieldfile,
        download_name=request.GET.get("as", "x.pdf"),
        content_type=request.GET.get("type", "application/pdf"),
    )


urlpatterns = [
    path("probe/", probe),
    path("tight/", tight),
    path("sanitize/", sanitize),
    path("download/<str:name>", download),
]
