"""Serving a private file: always a download, never something the browser runs."""

from __future__ import annotations

import re
from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase

from .kinds import CONTENT_TYPES

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SERVED_TYPES = frozenset(CONTENT_TYPES.values())
DOWNLOAD_NAME_LIMIT = 100


def safe_download_name(name: str, *, fallback: str = "download") -> str:
    """ASCII letters, digits, dot, dash and underscore only; no leading dot."""
    cleaned = _UNSAFE.sub("_", name).strip("._-") or fallback
    if len(cleaned) > DOWNLOAD_NAME_LIMIT:
        stem, dot, ext = cleaned.rpartition(".")
        ext = ext if dot and 0 < len(ext) <= 10 else ""
        keep = DOWNLOAD_NAME_LIMIT - (len(ext) + 1 if ext else 0)
        cleaned = (stem if ext else cleaned)[:keep].rstrip("._-") + (f".{ext}" if ext else "")
    return cleaned


def private_file_response(
    fieldfile: FieldFile, *, download_name: str, content_type: str, **kwargs: Any
) -> HttpResponseBase:
    """Serve a stored file as an attachment. Authorise BEFORE calling this.

    The name is server-chosen and reduced to a safe charset; the content type
    must be one we store (anything else is sent as application/octet-stream).
    On the filesystem the file is streamed with headers that stop sniffing,
    caching and any script running in our origin. On S3 (a storage with
    ``signed_download_url``) the answer is a redirect to a presigned GET that
    lives ``PRIVATE_MEDIA_URL_SECONDS`` and makes S3 send the same attachment
    name, type and no-store; the object is checked first, so a missing file is
    a 404 here too, never a link to an error.
    """
    if not fieldfile or not fieldfile.name:
        raise Http404
    name = safe_download_name(download_name)
    served_type = content_type if content_type in _SERVED_TYPES else "application/octet-stream"
    storage = fieldfile.storage
    sign = getattr(storage, "signed_download_url", None)
    if sign is not None:
        if not storage.exists(fieldfile.name):
            raise Http404
        redirect = HttpResponseRedirect(
            sign(fieldfile.name, download_name=name, content_type=served_type)
        )
        # The signed URL is a bearer credential for its lifetime: never cached,
        # never sent on as a Referer from the page that follows.
        redirect["Cache-Control"] = "private, no-store"
        redirect["Referrer-Policy"] = "no-referrer"
        return redirect
    try:
        handle = storage.open(fieldfile.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return private_stream_response(
        handle, download_name=download_name, content_type=content_type, **kwargs
    )


def private_stream_response(
    handle: Any, *, download_name: str, content_type: str, **kwargs: Any
) -> FileResponse:
    """``private_file_response`` for a file already open (e.g. a de-identified temp copy).

    The response closes ``handle`` when it has been sent.
    """
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=safe_download_name(download_name),
        content_type=content_type if content_type in _SERVED_TYPES else "application/octet-stream",
        **kwargs,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
