"""A de-identified copy of a stored DICOM file, for readers who must not learn who it is.

Clinics judge a case from the images; they are not told who the patient is
until a consultation is booked. DICOM headers name the patient, so the copy a
clinic downloads drops the identifying attributes of the PS3.15 Basic
Application Level Confidentiality Profile that matter most, and every private
tag (vendors hide names and IDs there). Sex, age, modality, body part and study
date stay: the clinic needs them to judge the study. The stored original is
never changed; concierge staff still download it as uploaded.

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
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.fileutil import read_undefined_length_value
from pydicom.tag import SequenceDelimiterTag
from pydicom.uid import DeflatedExplicitVRLittleEndian
from pydicom.valuerep import BUFFERABLE_VRS

from .kinds import UploadRejected, lazy_message

DEFER_SIZE = "1 MB"
UNDEFINED_LENGTH = 0xFFFFFFFF
DEIDENTIFICATION_METHOD = "PS3.15 Basic Profile subset; private tags removed"

# PS3.15 Table E.1-1 action Z (keep, empty) and X (remove), for the attributes
# that identify or reach the patient most directly.
BLANKED = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "ReferringPhysicianName",
    "AccessionNumber",
    "StudyID",
)
REMOVED = (
    "PatientAddress",
    "PatientTelephoneNumbers",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientMotherBirthName",
    "PatientBirthName",
    "PatientBirthTime",
    "IssuerOfPatientID",
    "MedicalRecordLocator",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "PhysiciansOfRecord",
    "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy",
    "OperatorsName",
    "RequestingPhysician",
    "StationName",
    "PatientComments",
)


class DeidentificationFailed(UploadRejected):
    """The stored file could not be read as DICOM; the original is never sent instead."""


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


def _vr_for(raw: RawDataElement, dataset: Dataset) -> str | None:
    vr = raw.VR
    if vr is None:  # implicit VR: the dictionary decides
        try:
            vr = dictionary_VR(raw.tag)
        except KeyError:
            return None
    if vr == "OB or OW":
        vr = "OW" if int(dataset.get("BitsAllocated", 8) or 8) > 8 else "OB"
    return str(vr)


def _stream_deferred_values(dataset: Dataset, src: IO[bytes]) -> None:
    """Swap every deferred value for a window onto ``src``, or drop it; never load it."""
    for tag in list(dataset.keys()):
        raw = dataset.get_item(tag, keep_deferred=True)
        if not isinstance(raw, RawDataElement) or raw.value is not None:
            continue
        vr = _vr_for(raw, dataset)
        if raw.tag.is_private or vr is None or vr not in BUFFERABLE_VRS:
            del dataset[tag]
            continue
        window = _ValueWindow(src, raw.value_tell, _value_length(src, raw))
        dataset[tag] = DataElement(
            raw.tag, vr, window, is_undefined_length=raw.length == UNDEFINED_LENGTH
        )


def _strip_identifiers(dataset: Dataset) -> None:
    def callback(ds: Dataset, elem: DataElement) -> None:
        keyword = elem.keyword
        if keyword in BLANKED:
            elem.value = None
        elif keyword in REMOVED:
            del ds[elem.tag]

    dataset.remove_private_tags()
    # walk() also visits sequence items (e.g. a referenced patient inside a request).
    dataset.walk(callback)
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = DEIDENTIFICATION_METHOD
    dataset.preamble = bytes(128)


def deidentified_dicom(fieldfile: FieldFile) -> File[Any]:
    """A temporary-file copy of a stored DICOM file without the patient's identifiers.

    The caller owns the returned file (closing it deletes it); it is positioned at 0.
    Raises ``DeidentificationFailed`` when the stored file cannot be parsed - the
    original is never handed out in its place.
    """
    out = tempfile.NamedTemporaryFile(suffix=".dcm")  # noqa: SIM115 - returned to the caller
    try:
        with fieldfile.storage.open(str(fieldfile.name), "rb") as src:
            try:
                dataset = dcmread(src, force=False, defer_size=DEFER_SIZE)
                if dataset.file_meta.get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian:
                    # A deflated body is inflated into memory by pydicom; offsets in it are
                    # not offsets in the file, so read it whole (rare, and small on disk).
                    src.seek(0)
                    dataset = dcmread(src, force=False)
                else:
                    _stream_deferred_values(dataset, src)
                _strip_identifiers(dataset)
                dcmwrite(out, dataset, enforce_file_format=True)
            except Exception:
                # pydicom raises many kinds of error on a damaged file; all mean "not for a clinic".
                raise _failed() from None
        out.flush()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return File(out)
