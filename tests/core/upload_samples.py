"""Small real files, friendly and hostile, built in the test run (nothing checked in)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.functional import Promise
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian, JPEGBaseline8Bit, MRImageStorage, generate_uid

from core.exceptions import DomainError
from core.uploads import ALL_KINDS, FileKind, SanitizedUpload, UploadRejected, sanitize_upload

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


def upload(
    data: bytes, name: str = "file.bin", content_type: str = "application/pdf"
) -> SimpleUploadedFile:
    """An upload whose name and content type lie as much as the test wants."""
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- Running the sanitizer ---------------------------------------------------------
def accept(
    data: bytes, *, allowed: frozenset[FileKind] = ALL_KINDS, name: str = "file.bin", **kwargs: int
) -> SanitizedUpload:
    return sanitize_upload(upload(data, name), allowed=allowed, max_bytes=10**8, **kwargs)


def refuse(
    data: bytes,
    code: str,
    *,
    allowed: frozenset[FileKind] = ALL_KINDS,
    name: str = "file.bin",
    max_bytes: int = 10**8,
    **kwargs: int,
) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        sanitize_upload(upload(data, name), allowed=allowed, max_bytes=max_bytes, **kwargs)
    error = caught.value
    assert error.code == code, (error.code, str(error.message))
    assert isinstance(error, DomainError)
    assert isinstance(error.message, Promise), "messages must be lazily translatable"
    assert len(str(error.message)) > 20
    assert list(Path(str(django_settings.FILE_UPLOAD_TEMP_DIR)).iterdir()) == [], "a file was left"
    return error


def reopen(sanitized: SanitizedUpload) -> bytes:
    sanitized.file.seek(0)
    return sanitized.file.read()


# --- Images -----------------------------------------------------------------------
def _exif_with_gps_and_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    return exif.tobytes()


def jpeg(
    width: int = 40,
    height: int = 20,
    *,
    gps: bool = False,
    orientation: int = 1,
    comment: bytes | None = None,
) -> bytes:
    img = Image.new("RGB", (width, height), (200, 30, 30))
    img.paste((20, 20, 220), (0, 0, width // 2, height))  # left half blue: shows rotation
    buf = io.BytesIO()
    extra: dict[str, object] = {}
    if gps or orientation != 1:
        extra["exif"] = _exif_with_gps_and_orientation(orientation)
    if comment is not None:
        extra["comment"] = comment
    img.save(buf, "JPEG", quality=95, **extra)
    return buf.getvalue()


def png(width: int = 30, height: int = 20, *, mode: str = "RGB", text: str | None = None) -> bytes:
    from PIL import PngImagePlugin

    img = Image.new(mode, (width, height), "green" if mode != "L" else 128)
    info = PngImagePlugin.PngInfo()
    if text is not None:
        info.add_text("Comment", text)
    buf = io.BytesIO()
    img.save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A one-colour 1-bit PNG: a few KB on disk, width x height pixels when decoded."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    idat = b"".join(parts) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


# --- PDF --------------------------------------------------------------------------
def pdf(
    *objects: bytes,
    catalog_extra: bytes = b"",
    page_extra: bytes = b"",
    header: bytes = b"%PDF-1.7\n",
    eof: bool = True,
) -> bytes:
    """A well-formed PDF: catalog, one page, the given extra objects (numbered from 4)."""
    base = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] " + page_extra + b">>",
        *objects,
    ]
    out = io.BytesIO()
    out.write(header + b"%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(base, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(base) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(base) + 1, xref))
    if eof:
        out.write(b"%%EOF\n")
    return out.getvalue()


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def object_stream(*objects: bytes, first_number: int = 10, compress: bool = True) -> bytes:
    """A PDF object stream (/Type /ObjStm) holding ``objects``, Flate-compressed."""
    bodies = b""
    header = b""
    for i, body in enumerate(objects):
        header += b"%d %d " % (first_number + i, len(bodies))
        bodies += body + b"\n"
    data = header + bodies
    encoded = zlib.compress(data) if compress else data
    filt = b"/Filter /FlateDecode " if compress else b""
    return stream(b"/Type /ObjStm /N %d /First %d " % (len(objects), len(header)) + filt, encoded)


def pillow_pdf() -> bytes:
    """A real PDF from a real writer (Pillow's), with a JPEG page image."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buf, "PDF")
    return buf.getvalue()


# --- DICOM ------------------------------------------------------------------------
def dicom(
    *,
    preamble: bytes = b"",
    modality: str = "MR",
    body_part: str = "KNEE",
    study_date: str = "20240301",
    pixels: int = 16,
) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "PAT-0042"
    ds.Modality = modality
    ds.BodyPartExamined = body_part
    ds.StudyDate = study_date
    ds.Rows, ds.Columns = 4, pixels // 4
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(pixels))
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    data = bytearray(buf.getvalue())
    data[: len(preamble)] = preamble[:128]
    return bytes(data)


# Every identifier a clinic must never see, for the de-identification tests (core and portal).
IDENTIFIERS = {
    "PatientName": "Doe^Jane",
    "PatientID": "PAT-0042",
    "PatientBirthDate": "19650412",
    "PatientAddress": "12 Calle Mayor, Madrid",
    "PatientTelephoneNumbers": "+34600999888",
    "OtherPatientIDs": "OLD-77",
    "OtherPatientNames": "Doe^Janet",
    "PatientMotherBirthName": "Roe^Mary",
    "ReferringPhysicianName": "House^Gregory",
    "InstitutionName": "Hospital Santa Rosa",
    "InstitutionAddress": "1 Plaza Hospital, Madrid",
    "AccessionNumber": "ACC-991",
    "StudyID": "STUDY-5",
}
SECRETS = [value.encode() for value in IDENTIFIERS.values()] + [b"VENDOR SECRET NAME"]


def identified_dicom(
    *,
    pixel_data: bytes = bytes(range(256)) * 4,
    transfer_syntax: UID = ExplicitVRLittleEndian,
    preamble: bytes = bytes(128),
) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = transfer_syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    for keyword, value in IDENTIFIERS.items():
        setattr(ds, keyword, value)
    ds.PatientSex = "F"
    ds.PatientAge = "061Y"
    ds.Modality = "MR"
    ds.BodyPartExamined = "KNEE"
    ds.StudyDate = "20240301"
    request = Dataset()
    request.RequestingPhysician = "Wilson^James"
    request.InstitutionName = "Hospital Santa Rosa"
    ds.RequestAttributesSequence = Sequence([request])
    block = ds.private_block(0x0029, "ACME 1.0", create=True)
    block.add_new(0x10, "LO", "VENDOR SECRET NAME")
    ds.Rows, ds.Columns = 32, 32
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = pixel_data
    if transfer_syntax == JPEGBaseline8Bit:
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    ds.preamble = preamble
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def dicom_stream(total_bytes: int, chunk: int = 1024 * 1024) -> tuple[int, Iterator[bytes]]:
    """A DICOM file of ``total_bytes``, produced in chunks (the pixel data is zeros)."""
    head = dicom(pixels=4)
    marker = b"\xe0\x7f\x10\x00OB\x00\x00"  # (7FE0,0010) OB, explicit VR little endian
    at = head.rindex(marker)
    prefix = head[:at] + marker
    pixel_bytes = total_bytes - len(prefix) - 4
    pixel_bytes -= pixel_bytes % 2
    prefix += struct.pack("<I", pixel_bytes)

    def chunks() -> Iterator[bytes]:
        yield prefix
        left = pixel_bytes
        zeros = bytes(chunk)
        while left:
            step = min(chunk, left)
            yield zeros[:step]
            left -= step

    return len(prefix) + pixel_bytes, chunks()
