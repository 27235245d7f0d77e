"""PDFs: opened by a real parser (qpdf, through pikepdf) and stored only as a disarmed copy.

A PDF is not refused for carrying a print script or a form: it is rewritten
without them (``pdf_disarm.disarm`` lists what goes), and the document records
that active content was removed, so staff know. What is refused, with a message
the patient can act on: a PDF that needs a password to open, a truncated or
broken one, and one too big or too compressed to check within the budget.

The parsing runs in a child process (``pdf_disarm.py`` as a script, Python in
isolated mode, no Django) under hard limits, because qpdf is C++ reading hostile
bytes and inflating data an attacker chose:

* address space: ``UPLOAD_PDF_MAX_MEMORY_BYTES`` plus twice the file (qpdf maps
  the file, and may hold one stream's raw bytes): a bomb fails on allocation;
* CPU: ``UPLOAD_PDF_MAX_SECONDS`` (RLIMIT_CPU), and the same again in wall time
  before the parent kills it;
* output: at most twice the input plus 16 MiB (RLIMIT_FSIZE);
* pages ``UPLOAD_PDF_MAX_PAGES``, objects ``UPLOAD_PDF_MAX_OBJECTS``, inflated
  stream data ``UPLOAD_PDF_MAX_DECODED_BYTES`` (checked by the child).

The parent reads the upload in chunks only (to spool it to a file the child can
map when it is not one already); memory in the web process stays flat.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .kinds import UploadRejected

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
EOF_WINDOW = 1024
CHILD = Path(__file__).with_name("pdf_disarm.py")
OUTPUT_SLACK = 16 * 1024 * 1024

MESSAGES = {
    "pdf_password": _(
        "This PDF is locked with a password, so we cannot open it. Please upload an unlocked "
        "copy: open it with its password, then save or print it to a new PDF without one."
    ),
    "pdf_too_complex": _(
        "This PDF is too large or too complex to check for safety. Please split it into smaller "
        "files or print it to a new PDF."
    ),
    "pdf_damaged": _(
        "This PDF is incomplete or damaged (its end is missing). Please upload the complete file."
    ),
    "pdf_unreadable": _(
        "This PDF is damaged and could not be read. Please upload the original file again, or "
        "save or print it to a new PDF and upload that."
    ),
}

# What the disarming removed, in words staff read in the admin.
REMOVED_LABELS = {
    "javascript": _("scripts"),
    "automatic_actions": _("automatic actions"),
    "launch": _("commands that start programs"),
    "form_submission": _("forms that send or import data"),
    "external_links": _("links to web addresses and other files"),
    "embedded_files": _("attached files"),
    "rich_media": _("embedded media (RichMedia)"),
    "media": _("players for sound, video or 3D"),
    "xfa": _("XFA forms"),
    "other_actions": _("other actions"),
}


@dataclass(frozen=True)
class PdfLimits:
    """The budget one PDF may use; ``from_settings`` reads the deployment's."""

    max_pages: int
    max_objects: int
    max_decoded_bytes: int
    seconds: int
    memory_bytes: int

    @classmethod
    def from_settings(cls, *, decoded_bytes: int | None = None) -> PdfLimits:
        return cls(
            max_pages=settings.UPLOAD_PDF_MAX_PAGES,
            max_objects=settings.UPLOAD_PDF_MAX_OBJECTS,
            max_decoded_bytes=decoded_bytes or settings.UPLOAD_PDF_MAX_DECODED_BYTES,
            seconds=settings.UPLOAD_PDF_MAX_SECONDS,
            memory_bytes=settings.UPLOAD_PDF_MAX_MEMORY_BYTES,
        )


@dataclass(frozen=True)
class DisarmedPdf:
    pages: int
    removed: tuple[str, ...]
    peak_kb: int


def _reject(code: str) -> UploadRejected:
    return UploadRejected(MESSAGES[code], code=code)


def active_content_label(removed: list[str] | tuple[str, ...] | str) -> str:
    """What was removed, in words (``removed`` as stored: a list or a comma-joined string)."""
    codes = removed.split(",") if isinstance(removed, str) else list(removed)
    return ", ".join(str(REMOVED_LABELS.get(code.strip(), code)) for code in codes if code.strip())


def _has_eof_marker(src: IO[bytes], size: int) -> bool:
    src.seek(max(0, size - EOF_WINDOW))
    return b"%%EOF" in src.read(EOF_WINDOW)


def _real_fd(fh: IO[bytes]) -> int | None:
    try:
        fd = fh.fileno()
        os.fstat(fd)
    except (AttributeError, OSError, ValueError):
        return None
    return fd


@contextmanager
def _mappable(src: IO[bytes]) -> Iterator[int]:
    """A descriptor of a real file holding ``src``: its own, or a spool copied in chunks."""
    fd = _real_fd(src)
    if fd is not None:
        yield fd
        return
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as spool:
        src.seek(0)
        while chunk := src.read(CHUNK):
            spool.write(chunk)
        spool.flush()
        yield spool.fileno()


def _run_child(in_fd: int, out_fd: int, *, size: int, limits: PdfLimits) -> dict[str, Any]:
    budget = {
        "max_pages": limits.max_pages,
        "max_objects": limits.max_objects,
        "max_decoded_bytes": limits.max_decoded_bytes,
        "cpu_seconds": limits.seconds,
        "memory_bytes": limits.memory_bytes + 2 * size,
        "output_bytes": 2 * size + OUTPUT_SLACK,
    }
    try:
        done = subprocess.run(  # noqa: S603 - our interpreter and our script, no shell
            [sys.executable, "-I", str(CHILD), str(in_fd), str(out_fd)],
            input=json.dumps(budget).encode(),
            capture_output=True,
            pass_fds=(in_fd, out_fd),
            timeout=2 * limits.seconds,
            env={"LC_ALL": "C.UTF-8"},  # nothing of ours (no secrets) in the parser's process
            check=False,
        )
    except subprocess.TimeoutExpired:
        logger.info("upload: PDF check ran out of time")
        return {"ok": False, "code": "pdf_too_complex"}
    try:
        answer: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (IndexError, ValueError, UnicodeDecodeError):
        # Killed by a limit (SIGXCPU, SIGKILL) or crashed before answering.
        over_limit = done.returncode in (-9, -24)  # SIGKILL, SIGXCPU
        logger.info("upload: PDF child ended with %s: %s", done.returncode, done.stderr[-300:])
        return {"ok": False, "code": "pdf_too_complex" if over_limit else "pdf_unreadable"}
    return answer


def disarm_pdf(src: IO[bytes], out: IO[bytes], *, size: int, limits: PdfLimits) -> DisarmedPdf:
    """Write a disarmed copy of the PDF ``src`` into ``out``; raise UploadRejected if we can't."""
    if not _has_eof_marker(src, size):
        raise _reject("pdf_damaged")  # truncated: a reader would show part of it, silently
    out.flush()
    out_fd = _real_fd(out)
    if out_fd is None:
        raise ValueError("disarm_pdf needs a real file to write into")
    with _mappable(src) as in_fd:
        answer = _run_child(in_fd, out_fd, size=size, limits=limits)
    if answer.get("ok") is True:
        return DisarmedPdf(
            pages=int(answer["pages"]),
            removed=tuple(str(code) for code in answer["removed"]),
            peak_kb=int(answer.get("peak_kb", 0)),
        )
    code = str(answer.get("code"))
    if code in ("not_disarmed", "internal"):
        # Our bug, not the file's fault: sanitize_upload logs it and refuses the file.
        raise RuntimeError(f"PDF disarming failed ({code}): {answer.get('detail')}")
    logger.info("upload: PDF refused (%s): %s", code, answer.get("detail", ""))
    raise _reject(code if code in MESSAGES else "pdf_unreadable")
