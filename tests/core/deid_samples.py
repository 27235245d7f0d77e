"""A study with a marker in every attribute of PS3.15 Table E.1-1 that can hold text.

The list of attributes is not typed here: it is read from dicom-anonymizer's copy
of the table, and each attribute's VR from pydicom's dictionary (an attribute newer
than the dictionary is written as UN, the worst case for a reader). Each attribute
gets its own marker (``LK0001Q``...), so a leak names the attribute it came from.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dicomanonymizer.dicomfields_selector import dicom_anonymization_database_selector
from django.core.files.storage import FileSystemStorage
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from pydicom import config as pydicom_config
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import UID, ExplicitVRLittleEndian, MRImageStorage, generate_uid

TABLE = "dicomfields_2026c"
UID_KEY = b"one case's key, 32 bytes long..."
MARKER = re.compile(rb"LK\d{4}Q")
STRING_VRS = frozenset(
    {
        "AE",
        "AS",
        "CS",
        "DA",
        "DS",
        "DT",
        "IS",
        "LO",
        "LT",
        "PN",
        "SH",
        "ST",
        "TM",
        "UC",
        "UI",
        "UR",
        "UT",
    }
)
BYTE_VRS = frozenset({"OB", "OW", "OD", "OF", "OL", "OV", "UN"})
PIXEL_DATA = Tag("PixelData")


def marker(index: int) -> str:
    return f"LK{index:04d}Q"


def _table_tags() -> list[int]:
    tags: list[int] = []
    for category, entries in dicom_anonymization_database_selector(TABLE).items():
        if category == "ALL_TAGS":
            continue
        for entry in entries:
            if entry[0] == 0x0000:
                continue  # a DIMSE command attribute: pydicom refuses to put it in a file
            # A repeating group (overlays 60xx, curves 50xx) is planted in its first group.
            tags.append(
                (entry[0] << 16) | entry[1]
                if len(entry) == 2
                else (entry[0] << 16) | (entry[1] or 0x3000)
            )
    return sorted(set(tags))


def _text_vr(tag: int) -> str | None:
    try:
        vr = str(dictionary_VR(tag))
    except KeyError:
        return "UN"  # newer than pydicom's dictionary: a reader sees raw bytes
    vr = vr.split(" or ")[0]
    if vr in STRING_VRS or vr in BYTE_VRS or vr == "SQ":
        return vr
    return None  # numbers (US, FL, AT...) cannot carry a name


def _item(text: str) -> Dataset:
    """A sequence item that hides the marker in a table attribute and a private tag."""
    item = Dataset()
    item.PatientName = text
    item.add_new(0x00091010, "LO", text)  # private, without its creator: the worst kind
    return item


def marker_attributes() -> list[tuple[int, str, str]]:
    """(tag, VR, marker) for every text-capable Table E.1-1 attribute."""
    planted: list[tuple[int, str, str]] = []
    for tag in _table_tags():
        vr = _text_vr(tag)
        if vr is not None:
            planted.append((tag, vr, marker(len(planted) + 1)))
    return planted


def _element(tag: int, vr: str, text: str) -> DataElement | RawDataElement:
    if vr == "SQ":
        return DataElement(tag, vr, Sequence([_item(text)]))
    if vr in BYTE_VRS:
        return DataElement(tag, vr, text.encode().ljust(8, b"\x00"))
    if vr in {"DS", "IS"}:
        # pydicom will not hold a name as a number; the raw bytes are what a file can hold.
        value = text.encode().ljust(8, b" ")
        return RawDataElement(Tag(tag), vr, len(value), value, 0, False, True)
    return DataElement(tag, vr, text)


@contextmanager
def lenient_pydicom() -> Iterator[None]:
    # A marker in a date or an age is not a valid value: write it anyway, as a hospital might.
    settings = pydicom_config.settings
    saved = settings.reading_validation_mode, settings.writing_validation_mode
    settings.reading_validation_mode = settings.writing_validation_mode = pydicom_config.IGNORE
    try:
        yield
    finally:
        settings.reading_validation_mode, settings.writing_validation_mode = saved


def marker_dataset(*, rows: int, columns: int, frames: int = 2) -> tuple[Dataset, Dataset, int]:
    """The study before and after its pixel data, and how many attributes carry a marker."""
    planted = marker_attributes()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.SourceApplicationEntityTitle = "LK9001Q"
    meta.PrivateInformationCreatorUID = UID("1.2.3.4")
    meta.PrivateInformation = b"LK9002Q\x00"
    head, tail = Dataset(), Dataset()
    head.file_meta = meta
    head.SOPClassUID = MRImageStorage
    for tag, vr, text in planted:
        if tag >> 16 == 0x0002:
            meta[tag] = _element(tag, vr, text)  # the file meta's own instance UID
        else:
            (head if tag < PIXEL_DATA else tail)[tag] = _element(tag, vr, text)
    head.Modality, head.BodyPartExamined, head.Laterality = "MR", "KNEE", "R"
    # Private data at the top level and nested two sequences deep, inside a sequence the
    # table does not name (so it is kept and walked, not dropped whole).
    block = head.private_block(0x0029, "LK9003Q", create=True)
    block.add_new(0x10, "LO", "LK9004Q")
    frame = Dataset()
    frame.FrameComments = "LK9005Q"
    content = Dataset()
    content.FrameComments = "LK9006Q"
    content.add_new(0x00111010, "LO", "LK9007Q")
    frame.FrameContentSequence = Sequence([content])
    head.PerFrameFunctionalGroupsSequence = Sequence([frame, _item("LK9008Q")])
    head.NumberOfFrames = frames
    head.Rows, head.Columns = rows, columns
    head.BitsAllocated, head.BitsStored, head.HighBit = 8, 8, 7
    head.SamplesPerPixel, head.PixelRepresentation = 1, 0
    head.PhotometricInterpretation = "MONOCHROME2"
    head.preamble = b"LK9009Q".ljust(128, b"\x00")
    return head, tail, len(planted)


def write_marker_study(
    path: Path, *, rows: int, columns: int, frames: int = 2, chunk: int = 1024 * 1024
) -> int:
    """Write the study to ``path`` with its pixel data streamed; returns the marked count."""
    with lenient_pydicom():
        head, tail, count = marker_dataset(rows=rows, columns=columns, frames=frames)
    pixel_bytes = rows * columns * frames
    pixel_bytes += pixel_bytes % 2
    with lenient_pydicom(), path.open("wb") as fh:
        # As stored (not enforced): the file meta and the body carry different markers.
        head.save_as(fh, enforce_file_format=False)
        fh.write(
            struct.pack("<HH", 0x7FE0, 0x0010) + b"OB\x00\x00" + struct.pack("<I", pixel_bytes)
        )
        frame = bytes(range(256)) * (chunk // 256)
        left = pixel_bytes
        while left:
            step = min(chunk, left)
            fh.write(frame[:step])
            left -= step
        after = DicomBytesIO()
        after.is_little_endian, after.is_implicit_VR = True, False
        write_dataset(after, tail)
        fh.write(after.getvalue())
    return count


def stored(tmp_path: Path, data: bytes | None = None, *, name: str = "study.dcm") -> FieldFile:
    """A stored file as the de-identifier sees it: a storage and a name."""
    storage = FileSystemStorage(location=str(tmp_path))
    if data is not None:
        (tmp_path / name).write_bytes(data)
    # No model instance: the function only uses the field file's storage and name.
    return FieldFile(None, FileField(storage=storage), name)  # type: ignore[arg-type]


def leaks_in(path: Path, chunk: int = 4 * 1024 * 1024) -> set[bytes]:
    """Every marker found in the file, read in overlapping chunks (never whole)."""
    found: set[bytes] = set()
    carry = b""
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            window = carry + block
            found.update(MARKER.findall(window))
            carry = window[-16:]
    return found


def small_dicom(**attributes: object) -> bytes:
    """A small MR image with the given attributes (keywords as pydicom names them)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(str(attributes.pop("SOPClassUID", MRImageStorage)))
    meta.MediaStorageSOPInstanceUID = UID(str(attributes.get("SOPInstanceUID") or generate_uid()))
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "MR"
    for keyword, value in attributes.items():
        if isinstance(value, bytes):  # as stored, even where pydicom would refuse the value
            tag = Tag(keyword)
            ds[tag] = RawDataElement(tag, dictionary_VR(tag), len(value), value, 0, False, True)
        else:
            setattr(ds, keyword, value)
    ds.Rows, ds.Columns = 2, 2
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = b"\x01\x02\x03\x04"
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
