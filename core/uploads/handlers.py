"""CappedUploadHandler: every upload streams to disk, and stops at the caps.

Django's default pair keeps files under 2.5 MB in memory and streams the rest
to disk with no size limit at all. This handler replaces both
(``FILE_UPLOAD_HANDLERS``): every file goes to a temporary file in 64 KB
chunks, so memory stays flat whatever the size, and

* a file over ``UPLOAD_MAX_FILE_BYTES`` is dropped as soon as it passes the
  cap (its temporary file deleted, the rest of its bytes read and discarded);
* a request with more than ``UPLOAD_MAX_FILES_PER_REQUEST`` files, or more
  than ``UPLOAD_MAX_REQUEST_BYTES`` in stored files, is stopped: every file it
  had stored is deleted and ``request.FILES`` comes back empty.

Either way the reason is added to ``request.upload_rejections`` (translated
messages) so the view can tell the person instead of silently losing a file.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import SkipFile, StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_noop

from .kinds import clean_display_name, lazy_message, size_label
from .sanitize import too_large


def upload_rejections(request: HttpRequest) -> list[str]:
    """Why files in this request were refused before the view saw them (may be empty).

    Read ``request.POST`` or ``request.FILES`` first: the upload is parsed then.
    """
    return list(getattr(request, "upload_rejections", []))


def skipped_uploads(request: HttpRequest) -> list[tuple[str, str]]:
    """The files dropped one by one (over the per-file cap) as (display name, reason).

    The other files of the request were kept, so a view can store them and name
    these. A stopped request (too many files or bytes) is not listed here: it
    leaves ``request.FILES`` empty and says why in ``upload_rejections``.
    """
    return list(getattr(request, "upload_skipped", []))


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Stream every file to disk; enforce the caps from settings (or tighter ones).

    A view with its own caps installs one before anything reads ``request.POST``:
    ``request.upload_handlers = [CappedUploadHandler(request, max_file_bytes=...)]``.
    """

    def __init__(
        self,
        request: HttpRequest | None = None,
        *,
        max_file_bytes: int | None = None,
        max_files: int | None = None,
        max_request_bytes: int | None = None,
    ) -> None:
        super().__init__(request)
        self.max_file_bytes: int = max_file_bytes or settings.UPLOAD_MAX_FILE_BYTES
        self.max_files: int = max_files or settings.UPLOAD_MAX_FILES_PER_REQUEST
        self.max_request_bytes: int = max_request_bytes or settings.UPLOAD_MAX_REQUEST_BYTES
        self.files_seen = 0
        self.file_bytes = 0
        self.request_bytes = 0
        self.stored: list[TemporaryUploadedFile] = []
        self.aborted = False
        self._parsing = False
        if request is not None:
            request.upload_rejections = []  # type: ignore[attr-defined]
            request.upload_skipped = []  # type: ignore[attr-defined]

    def _reject(self, message: object) -> None:
        if self.request is not None:
            self.request.upload_rejections.append(str(message))  # type: ignore[attr-defined]

    def _abort(self, message: object) -> None:
        self._reject(message)
        self.aborted = True
        if hasattr(self, "file"):
            self.file.close()
        for stored in self.stored:
            stored.close()  # deletes its temporary file
        raise StopUpload(connection_reset=False)

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
        # Run the ordinary parser ourselves, so that when we stop a request we
        # can also hand back an empty FILES instead of a half-received batch.
        if self._parsing:
            return None
        self._parsing = True
        handlers = self.request.upload_handlers if self.request is not None else [self]
        post, files = MultiPartParser(META, input_data, handlers, encoding).parse()
        if self.aborted:
            return post, MultiValueDict()
        return post, files

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
        self.files_seen += 1
        if self.files_seen > self.max_files:
            self._abort(
                lazy_message(
                    gettext_noop(
                        "More than %(count)s files were sent at once, so none of them was "
                        "uploaded. Please send them in smaller groups."
                    ),
                    count=self.max_files,
                )
            )
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        self.file_bytes = 0
        # Browsers rarely send a per-part length; when one does, believe a "too big".
        if content_length is not None and content_length > self.max_file_bytes:
            self._skip()

    def _skip(self) -> None:
        name = clean_display_name(self.file_name)
        self._reject(too_large(self.max_file_bytes, name).message)
        if self.request is not None:
            self.request.upload_skipped.append(  # type: ignore[attr-defined]
                (name, str(too_large(self.max_file_bytes).message))
            )
        self.file.close()  # deletes the partial temporary file
        self.request_bytes -= self.file_bytes
        raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.file_bytes += len(raw_data)
        self.request_bytes += len(raw_data)
        if self.file_bytes > self.max_file_bytes:
            self._skip()
        if self.request_bytes > self.max_request_bytes:
            self._abort(
                lazy_message(
                    gettext_noop(
                        "These files add up to more than %(limit)s, so none of them was "
                        "uploaded. Please send them in smaller groups."
                    ),
                    limit=size_label(self.max_request_bytes),
                )
            )
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        super().file_complete(file_size)
        self.stored.append(self.file)
        return self.file
