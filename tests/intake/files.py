"""Small real files for upload tests: PDF, JPEG, PNG, DICOM, and hostile ones."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.core import upload_samples
from tests.core.upload_samples import bomb_png


def pdf_bytes(text: str = "Knee MRI report") -> bytes:
    """A minimal, valid one-page PDF with a correct xref table."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def pdf_with_javascript() -> bytes:
    return pdf_bytes().replace(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
    )


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (120, 130, 140)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def png_bytes(size: tuple[int, int] = (32, 32)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", size, 200).save(buf, "PNG")
    return buf.getvalue()


def png_bomb_bytes(side: int = 20_000) -> bytes:
    """A tiny PNG that claims side x side pixels (a decompression bomb)."""
    return bomb_png(side, side)


def dicom_bytes(
    *,
    preamble: bytes = b"\x00" * 128,
    pixels: int = 16,
    study_date: str = "20240301",
) -> bytes:
    """A tiny but real DICOM file (file meta, DICM at 128) written by pydicom."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "MR"
    ds.BodyPartExamined = "KNEE"
    ds.StudyDate = study_date
    ds.PatientName = "Test^Patient"
    ds.Rows = pixels
    ds.Columns = pixels
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(256)) * (pixels * pixels // 256) + bytes(pixels * pixels % 256)
    ds.preamble = preamble
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def upload(
    name: str, data: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return upload_samples.upload(data, name, content_type)


def html_part(message: object) -> str:
    """The HTML alternative of a sent email."""
    from django.core.mail import EmailMultiAlternatives

    assert isinstance(message, EmailMultiAlternatives)
    content, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return str(content)


def all_text(message: object) -> str:
    from django.core.mail import EmailMessage

    assert isinstance(message, EmailMessage)
    return str(message.subject) + str(message.body) + html_part(message)
