"""The kinds of file the portal accepts, the refusal every check raises, and the result."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError


class FileKind(models.TextChoices):
    PDF = "pdf", _("PDF document")
    JPEG = "jpeg", _("JPEG image")
    PNG = "png", _("PNG image")
    DICOM = "dicom", _("DICOM imaging")


# The content type and extension we serve and store: chosen by us from the
# detected kind, never copied from the browser or the file name.
CONTENT_TYPES: dict[FileKind, str] = {
    FileKind.PDF: "application/pdf",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
    FileKind.DICOM: "application/dicom",
}
EXTENSIONS: dict[FileKind, str] = {
    FileKind.PDF: ".pdf",
    FileKind.JPEG: ".jpg",
    FileKind.PNG: ".png",
    FileKind.DICOM: ".dcm",
}
ALL_KINDS: frozenset[FileKind] = frozenset(FileKind)
DOCUMENT_KINDS: frozenset[FileKind] = frozenset({FileKind.PDF, FileKind.JPEG, FileKind.PNG})


class UploadRejected(DomainError):
    """The file was refused; ``message`` is safe to show and translated lazily.

    ``code`` names the reason for views and tests ("executable", "archive",
    "pdf_active_content", ...).
    """


def _interpolate(template: str, params: dict[str, Any]) -> str:
    # Translated when the message is rendered, so it follows the viewer's language.
    return gettext(template) % {k: str(v) for k, v in params.items()}


_lazy_interpolate = lazy(_interpolate, str)


def lazy_message(template: str, **params: Any) -> Promise:
    """A translatable message with %(name)s placeholders, translated when shown.

    Pass the template through ``gettext_noop`` at the call site so makemessages
    finds it.
    """
    message: Promise = _lazy_interpolate(template, params)  # type: ignore[assignment]
    return message


def size_label(num_bytes: int) -> str:
    return str(filesizeformat(num_bytes))


def kinds_label(kinds: frozenset[FileKind]) -> str:
    order = [FileKind.PDF, FileKind.JPEG, FileKind.PNG, FileKind.DICOM]
    short = {
        FileKind.PDF: "PDF",
        FileKind.JPEG: "JPEG",
        FileKind.PNG: "PNG",
        FileKind.DICOM: "DICOM",
    }
    return ", ".join(short[k] for k in order if k in kinds)


_BAD_NAME_CHARS = re.compile(r"[\\/:*?\"<>|]")
_SPACES = re.compile(r"\s+")


def clean_display_name(name: str | None, *, fallback: str = "upload", limit: int = 120) -> str:
    """The uploader's file name made safe to *display* (never used on disk).

    Drops paths, control and format characters (a right-to-left override can
    make ``report\u202efdp.exe`` read as ``reportexe.pdf``), and keeps the
    extension when shortening.
    """
    raw = unicodedata.normalize("NFC", str(name or ""))
    raw = raw.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in raw if unicodedata.category(ch)[0] not in ("C",))
    kept = _BAD_NAME_CHARS.sub("_", kept)
    kept = _SPACES.sub(" ", kept).strip().lstrip(".").strip()
    if not kept:
        return fallback
    if len(kept) > limit:
        stem, ext = os.path.splitext(kept)
        ext = ext if 1 < len(ext) <= 10 else ""
        kept = stem[: limit - len(ext) - 1].rstrip() + "…" + ext
    return kept


@dataclass
class SanitizedUpload:
    """A file that passed every check, rewritten where we can rewrite it.

    ``file`` holds the sanitized bytes in an anonymous temporary file (nothing
    to clean up on disk even if the process dies); close it when done, or use
    the object as a context manager. ``removed`` names the active content taken
    out of a PDF (``core.uploads.pdf.REMOVED_LABELS``); empty for everything else.
    """

    kind: FileKind
    content_type: str
    extension: str
    size: int
    sha256: str
    metadata: dict[str, str]
    file: File[Any]
    original_name: str
    removed: tuple[str, ...] = ()

    @property
    def active_content_removed(self) -> bool:
        return bool(self.removed)

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> SanitizedUpload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
