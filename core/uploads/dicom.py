"""DICOM Part 10 files: neutralise the preamble, read a few tags, keep the rest intact.

The 128-byte preamble is free-form by the standard, which makes a file that is
both a valid DICOM image and a valid Windows program possible (CVE-2019-11687).
We keep the pixels bit for bit - a clinic needs the original study - but write
the preamble as zeros, so the stored file is no longer anything but DICOM.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import IO, Any

from django.utils.translation import gettext_noop
from pydicom import config as pydicom_config
from pydicom import dcmread

from .kinds import UploadRejected, lazy_message

PREAMBLE = 128
PREFIX = b"DICM"
CHUNK = 1024 * 1024
# Tags before the pixel data of real studies fit easily; a file that needs more
# only to describe itself is refused rather than parsed at length.
HEADER_WINDOW = 32 * 1024 * 1024
WANTED_TAGS = ["Modality", "BodyPartExamined", "StudyDate", "SOPClassUID"]
# Encapsulated PDF and CDA: a document hiding inside imaging escapes the PDF checks.
ENCAPSULATED_DOCUMENTS = {"1.2.840.10008.5.1.4.1.1.104.1", "1.2.840.10008.5.1.4.1.1.104.2"}
_CODE_STRING = re.compile(r"[^A-Z0-9 _]")

# pydicom's value-validation warnings quote element values - from a damaged file
# that can be a patient's name - into our logs. We validate what we keep ourselves.
pydicom_config.settings.reading_validation_mode = pydicom_config.IGNORE


def _damaged() -> UploadRejected:
    return UploadRejected(
        lazy_message(
            gettext_noop(
                "This DICOM file could not be read. Please export the study again from the "
                "imaging viewer or CD and upload the exported files."
            )
        ),
        code="dicom_damaged",
    )


class _Window(io.RawIOBase):
    """The first ``limit`` bytes of a file, so the parser cannot wander further."""

    def __init__(self, fh: IO[bytes], limit: int) -> None:
        super().__init__()
        self.fh = fh
        self.limit = limit
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self.limit - self.pos)
        if count <= 0:
            return 0
        self.fh.seek(self.pos)
        data = self.fh.read(count)
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        origin = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.limit}[whence]
        self.pos = max(0, min(self.limit, origin + offset))
        return self.pos

    def tell(self) -> int:
        return self.pos


def _first(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        value = value[0] if len(value) else ""
    return str(value)


def _code(value: Any, limit: int = 16) -> str:
    """A DICOM code string (CS), reduced to what it may legally contain."""
    return _CODE_STRING.sub("", _first(value).strip().upper())[:limit].strip()


def _date(value: Any) -> str:
    text = _first(value).strip()
    try:
        return dt.datetime.strptime(text[:8], "%Y%m%d").date().isoformat() if len(text) >= 8 else ""
    except ValueError:
        return ""


def sanitize_dicom(src: IO[bytes], out: IO[bytes], *, size: int) -> dict[str, str]:
    """Copy ``src`` to ``out`` with a zeroed preamble; return modality, body part, study date.

    No patient identifiers go into the returned metadata. Raises UploadRejected.
    """
    _check_prefix(src)
    out.write(bytes(PREAMBLE) + PREFIX)
    while chunk := src.read(CHUNK):
        out.write(chunk)
    out.flush()
    return _metadata(out, size=size)


def sanitize_dicom_in_place(file: IO[bytes], *, size: int) -> dict[str, str]:
    """``sanitize_dicom`` for a file of our own: the preamble is zeroed where it lies.

    For the upload's own temporary file (``core.uploads.sanitize``): a 20 MB scan is not
    read and written again to change its first 128 bytes.
    """
    _check_prefix(file)
    file.seek(0)
    file.write(bytes(PREAMBLE))
    file.flush()
    return _metadata(file, size=size)


def _check_prefix(src: IO[bytes]) -> None:
    """The preamble's end says DICM, and ``src`` is left just after it."""
    src.seek(0)
    head = src.read(PREAMBLE + len(PREFIX))
    if head[PREAMBLE:] != PREFIX:
        raise _damaged()


def _metadata(out: IO[bytes], *, size: int) -> dict[str, str]:
    try:
        dataset = dcmread(
            _Window(out, min(size, HEADER_WINDOW)),
            force=False,
            stop_before_pixels=True,
            specific_tags=WANTED_TAGS,
        )
        meta = dataset.file_meta
        sop_class = str(meta.get("MediaStorageSOPClassUID", "") or dataset.get("SOPClassUID", ""))
        transfer_syntax = str(meta.get("TransferSyntaxUID", ""))
        # Values are decoded lazily, so reading them can fail on hostile bytes too.
        metadata = {
            "modality": _code(dataset.get("Modality")),
            "body_part": _code(dataset.get("BodyPartExamined"), limit=32),
            "study_date": _date(dataset.get("StudyDate")),
        }
    except Exception:
        # pydicom raises many kinds of error on hostile input; all mean "not DICOM".
        raise _damaged() from None
    if not transfer_syntax or not sop_class:
        raise _damaged()
    if sop_class in ENCAPSULATED_DOCUMENTS:
        raise UploadRejected(
            lazy_message(
                gettext_noop(
                    "This DICOM file wraps another document (PDF or CDA). Please upload the "
                    "document itself instead."
                )
            ),
            code="dicom_encapsulated_document",
        )
    return metadata
