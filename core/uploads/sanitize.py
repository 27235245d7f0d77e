"""sanitize_upload: the one door every patient or clinic file goes through."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.utils.translation import gettext_noop

from .dicom import sanitize_dicom, sanitize_dicom_in_place
from .images import sanitize_image
from .kinds import (
    CONTENT_TYPES,
    EXTENSIONS,
    FileKind,
    SanitizedUpload,
    UploadRejected,
    clean_display_name,
    lazy_message,
    size_label,
)
from .pdf import PdfLimits, disarm_pdf
from .sniff import EMPTY_MESSAGE, HEAD_BYTES, detect_kind, is_heif

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def too_large(max_bytes: int, name: str | None = None) -> UploadRejected:
    if name:
        message = lazy_message(
            gettext_noop("“%(name)s” is larger than %(limit)s, so it was not uploaded."),
            name=name,
            limit=size_label(max_bytes),
        )
    else:
        message = lazy_message(
            gettext_noop("The file is larger than %(limit)s, so it was not uploaded."),
            limit=size_label(max_bytes),
        )
    return UploadRejected(message, code="too_large")


def _temporary_file() -> IO[bytes]:
    # Unlinked at creation on POSIX: nothing can be left behind on disk, even
    # if the worker is killed half way.
    return tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)


def _linkable_temporary_file() -> IO[bytes]:
    """The clean copy's file: nameless like ``_temporary_file``, but one that private
    storage can later give a name without copying it (Linux's O_TMPFILE without
    O_EXCL, which ``tempfile`` always sets; ``core.storage.PrivateStorage._save``)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is not None:
        directory = settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()
        try:
            fd = os.open(directory, flag | os.O_RDWR, 0o600)
        except OSError:  # a file system without O_TMPFILE
            pass
        else:
            return os.fdopen(fd, "w+b")
    return _temporary_file()


@contextlib.contextmanager
def _seekable(uploaded: File[Any], max_bytes: int) -> Iterator[IO[bytes]]:
    """The upload as a seekable binary file, without ever holding it all in memory."""
    try:
        seekable = bool(uploaded.seekable())
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        uploaded.seek(0)
        yield uploaded  # type: ignore[misc]
        return
    spool = _temporary_file()
    try:
        copied = 0
        for chunk in uploaded.chunks(CHUNK):
            copied += len(chunk)
            if copied > max_bytes:
                raise too_large(max_bytes)
            spool.write(chunk)
        spool.seek(0)
        yield spool
    finally:
        spool.close()


def _measure(src: IO[bytes]) -> int:
    src.seek(0, os.SEEK_END)
    size = src.tell()
    src.seek(0)
    return size


def _digest(fh: IO[bytes]) -> tuple[int, str]:
    fh.seek(0)
    sha = hashlib.sha256()
    size = 0
    while chunk := fh.read(CHUNK):
        sha.update(chunk)
        size += len(chunk)
    fh.seek(0)
    return size, sha.hexdigest()


def _as_kinds(allowed: Iterable[FileKind | str]) -> frozenset[FileKind]:
    kinds = frozenset(FileKind(k) for k in allowed)
    if not kinds:
        raise ValueError("sanitize_upload needs at least one allowed kind")
    return kinds


def _rewrite(
    kind: FileKind,
    src: IO[bytes],
    out: IO[bytes],
    *,
    size: int,
    pdf_limits: PdfLimits,
    max_image_pixels: int,
    heif: bool,
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Write the clean copy; return its metadata and what active content was removed."""
    if kind is FileKind.PDF:
        disarmed = disarm_pdf(src, out, size=size, limits=pdf_limits)
        metadata = {"pages": str(disarmed.pages)}
        if disarmed.removed:
            metadata["active_content_removed"] = ",".join(disarmed.removed)
        return metadata, disarmed.removed
    if kind is FileKind.DICOM:
        return sanitize_dicom(src, out, size=size), ()
    return sanitize_image(src, out, kind=kind, max_pixels=max_image_pixels, heif=heif), ()


def sanitize_upload(
    uploaded: UploadedFile | File[Any],
    *,
    allowed: frozenset[FileKind],
    max_bytes: int,
    pdf_decode_budget: int | None = None,
    max_image_pixels: int | None = None,
) -> SanitizedUpload:
    """Check ``uploaded`` by its content and return a sanitized copy, or raise UploadRejected.

    The kind comes from the bytes only (never the name or the browser's
    content type). Images are decoded and re-encoded without metadata (phone
    HEIC/HEIF photos become JPEG); DICOM gets a zeroed preamble; PDFs are
    rewritten by qpdf without active content (``removed`` says what went).
    The input is read in chunks from its temporary file; the result lives in
    a nameless temporary file the caller saves and closes (private storage links
    it into place), except a scan in the upload's own temporary file, which is
    cleaned where it lies and handed back (``_dicom_in_place``).
    """
    kinds = _as_kinds(allowed)
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    pdf_limits = PdfLimits.from_settings(decoded_bytes=pdf_decode_budget)
    pixels = max_image_pixels or settings.UPLOAD_MAX_IMAGE_PIXELS
    display_name = clean_display_name(getattr(uploaded, "name", None))
    with _seekable(uploaded, max_bytes) as src:
        size = _measure(src)
        if size == 0:
            raise UploadRejected(EMPTY_MESSAGE, code="empty")
        if size > max_bytes:
            raise too_large(max_bytes)
        head = src.read(HEAD_BYTES)
        kind = detect_kind(head, allowed=kinds)
        if kind is FileKind.DICOM and isinstance(uploaded, TemporaryUploadedFile):
            return _dicom_in_place(uploaded, size=size, display_name=display_name)
        out = _linkable_temporary_file()
        try:
            metadata, removed = _rewrite(
                kind,
                src,
                out,
                size=size,
                pdf_limits=pdf_limits,
                max_image_pixels=pixels,
                heif=is_heif(head),
            )
            out_size, sha256 = _digest(out)
        except UploadRejected:
            out.close()
            raise
        except Exception:
            out.close()
            raise _unprocessable(kind) from None
    extension = EXTENSIONS[kind]
    sanitized = File(out, name=f"upload{extension}")
    sanitized.size = out_size
    return SanitizedUpload(
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        extension=extension,
        size=out_size,
        sha256=sha256,
        metadata=metadata,
        file=sanitized,
        original_name=display_name,
        removed=removed,
    )


def _unprocessable(kind: FileKind) -> UploadRejected:
    # Never let hostile bytes turn into a 500; log it, because it may be our bug.
    logger.exception("upload: sanitizer failed on a %s file", kind.value)
    return UploadRejected(
        lazy_message(gettext_noop("We could not process this file. Please try again.")),
        code="unprocessable",
    )


def _dicom_in_place(
    uploaded: TemporaryUploadedFile, *, size: int, display_name: str
) -> SanitizedUpload:
    """A scan in the upload's own temporary file (core.uploads.handlers) is cleaned where
    it lies and handed back as it is: its preamble is zeroed in place, and storage
    renames the file into place (as Django does with an upload's temporary file), so a
    20 MB scan is written once, not three times. Nothing else changes: the same checks,
    and a refused scan's file goes when the request's uploads are closed."""
    try:
        metadata = sanitize_dicom_in_place(uploaded, size=size)
        out_size, sha256 = _digest(uploaded)
    except UploadRejected:
        raise
    except Exception:
        raise _unprocessable(FileKind.DICOM) from None
    return SanitizedUpload(
        kind=FileKind.DICOM,
        content_type=CONTENT_TYPES[FileKind.DICOM],
        extension=EXTENSIONS[FileKind.DICOM],
        size=out_size,
        sha256=sha256,
        metadata=metadata,
        file=uploaded,
        original_name=display_name,
        removed=(),
    )
