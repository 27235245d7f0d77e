"""A de-identified copy of a stored DICOM file, for readers who must not learn who it is.

Clinics judge a case from the images; they are not told who the patient is
until a consultation is booked. The copy a clinic downloads applies the whole
PS3.15 Basic Application Level Confidentiality Profile (``deid_profile``: the
Table E.1-1 action list from dicom-anonymizer, with the options that keep dates
and the patient's sex, age, size and weight). An image whose pixels may show
the patient (``burned_in``) is not copied at all: ``DeidentificationWithheld``
tells the caller to have staff look at it. The stored original is never
changed; concierge staff still download it as uploaded.

Memory stays bounded whatever the file size: pydicom reads the header with
``defer_size`` so large values are only located, not loaded, and each deferred
binary value (the pixel data) is handed back to the writer as a window onto the
source file, which pydicom copies across in small chunks. A large value that is
not binary (a huge free-text or unknown element) is dropped rather than loaded:
it is not clinically needed and free text is where identifiers hide.
"""

from __future__ import annotations

import io
import tempfile
from typing import IO, Any, BinaryIO, cast

from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_noop
from pydicom import dcmread, dcmwrite
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.fileutil import read_undefined_length_value
from pydicom.tag import SequenceDelimiterTag
from pydicom.uid import DeflatedExplicitVRLittleEndian
from pydicom.valuerep import BUFFERABLE_VRS

from .burned_in import pixel_identity_risk
from .deid_profile import UidMap, deidentify_dataset, mark_deidentified, vr_of
from .kinds import UploadRejected, lazy_message

DEFER_SIZE = "1 MB"
UNDEFINED_LENGTH = 0xFFFFFFFF


class DeidentificationFailed(UploadRejected):
    """The stored file could not be read as DICOM; the original is never sent instead."""


class DeidentificationWithheld(UploadRejected):
    """The pixels may show who the patient is; staff must look before a clinic may have it."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            lazy_message(
                gettext_noop(
                    "This image may show the patient's name or face in the picture itself, so it "
                    "is not sent to clinics until the concierge team has checked it. They have "
                    "been told; please ask them about it."
                )
            ),
            code="dicom_pixels_withheld",
        )
        self.reason = reason


def _failed() -> DeidentificationFailed:
    return DeidentificationFailed(
        lazy_message(
            gettext_noop(
                "This imaging file could not be prepared for download without the patient's "
                "details. Please ask the concierge team for it."
            )
        ),
        code="dicom_deidentify_failed",
    )


class _ValueWindow(io.BufferedIOBase):
    """``length`` bytes of ``fh`` from ``start``: a deferred value, read in chunks on write."""

    def __init__(self, fh: IO[bytes], start: int, length: int) -> None:
        super().__init__()
        self.fh = fh
        self.start = start
        self.length = length
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        left = self.length - self.pos
        count = left if size is None or size < 0 else min(size, left)
        if count <= 0:
            return b""
        self.fh.seek(self.start + self.pos)
        data = self.fh.read(count)
        self.pos += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        origin = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}[whence]
        self.pos = max(0, min(self.length, origin + offset))
        return self.pos

    def tell(self) -> int:
        return self.pos


def _value_length(src: IO[bytes], raw: RawDataElement) -> int:
    if raw.length == UNDEFINED_LENGTH:
        # Encapsulated pixel data: scan to its sequence delimiter without keeping the bytes.
        src.seek(raw.value_tell)
        read_undefined_length_value(
            cast(BinaryIO, src), raw.is_little_endian, SequenceDelimiterTag, defer_size=1
        )
        return src.tell() - 8 - raw.value_tell
    if raw.value_tell + raw.length > src.seek(0, io.SEEK_END):
        # A value running past the end of the file would be written short of its length.
        raise EOFError("deferred value truncated")
    return int(raw.length)


def _stream_deferred_values(dataset: Dataset, src: IO[bytes]) -> None:
    """Swap every deferred value for a window onto ``src``, or drop it; never load it."""
    for tag in list(dataset.keys()):
        raw = dataset.get_item(tag, keep_deferred=True)
        if not isinstance(raw, RawDataElement) or raw.value is not None:
            continue
        vr = vr_of(raw, dataset)
        if raw.tag.is_private or vr not in BUFFERABLE_VRS:
            del dataset[tag]
            continue
        window = _ValueWindow(src, raw.value_tell, _value_length(src, raw))
        dataset[tag] = DataElement(
            raw.tag, vr, window, is_undefined_length=raw.length == UNDEFINED_LENGTH
        )


def deidentified_dicom(
    fieldfile: FieldFile, *, uid_key: bytes, pseudonym: str = "", pixels_checked: bool = False
) -> File[Any]:
    """A temporary-file copy of a stored DICOM file without the patient's identifiers.

    ``uid_key`` scopes the replaced UIDs: pass the same key for every file of one
    case (see ``deid_profile.UidMap``). ``pseudonym`` becomes the patient's name
    and ID (the case reference: the reader knows it already). ``pixels_checked``:
    a person has looked at the image and found nothing identifying in it, so it is
    copied whatever its header says about burned-in text. The caller owns the
    returned file (closing it deletes it); it is positioned at 0. Raises
    ``DeidentificationWithheld`` when the pixels may identify the patient,
    ``DeidentificationFailed`` when the stored file cannot be parsed - the original
    is never handed out in its place.
    """
    uids = UidMap(uid_key)
    out = tempfile.NamedTemporaryFile(suffix=".dcm")  # noqa: SIM115 - returned to the caller
    try:
        with fieldfile.storage.open(str(fieldfile.name), "rb") as src:
            try:
                dataset = dcmread(src, force=False, defer_size=DEFER_SIZE)
                reason = None if pixels_checked else pixel_identity_risk(dataset)
                if reason is not None:
                    raise DeidentificationWithheld(reason)
                if dataset.file_meta.get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian:
                    # A deflated body is inflated into memory by pydicom; offsets in it are
                    # not offsets in the file, so read it whole (rare, and small on disk).
                    src.seek(0)
                    dataset = dcmread(src, force=False)
                else:
                    _stream_deferred_values(dataset, src)
                deidentify_dataset(dataset, uids=uids)
                mark_deidentified(dataset, uids=uids, pseudonym=pseudonym)
                dcmwrite(out, dataset, enforce_file_format=True)
            except DeidentificationWithheld:
                raise
            except Exception:
                # pydicom raises many kinds of error on a damaged file; all mean "not for a clinic".
                raise _failed() from None
        out.flush()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return File(out)
