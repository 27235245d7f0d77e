"""The intake's upload under load: a 20 MB DICOM study into a draft, against a bare view
that only streams the same request body to disk. Peak worker memory is the high-water
mark of the two gunicorn workers during the run."""

from __future__ import annotations

import io
import os
import random
import secrets
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from .loadgen import run_wrk
from .report import Row, record
from .site import Site, peak_rss, post, prepare

SIZE_MB = 20
SESSIONS = 16  # drafts, so no case nears its size cap during the run
CONNECTIONS = 4
BOUNDARY = "bench-boundary-7f3a9c"
INTAKE_UPLOAD = "/intake/step/records/upload/"
BARE_UPLOAD = "/bench/upload/"
RSS_LIMIT_MB = 150


def dicom_study(size_mb: int) -> bytes:
    """One MR image of ``size_mb`` MB (16-bit pixels, 2048 columns), with a patient's name."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID = "Bench^Patient", "BENCH-1"
    ds.Modality, ds.BodyPartExamined, ds.StudyDate = "MR", "KNEE", "20260301"
    columns = 2048
    rows = size_mb * 1024 * 1024 // (columns * 2)
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = random.Random(14).randbytes(rows * columns * 2)  # noise, like a real scan
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def multipart(path: Path, study: bytes) -> None:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\nmri\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="knee-mri.dcm"\r\nContent-Type: application/dicom\r\n\r\n'
    ).encode()
    path.write_bytes(head + study + f"\r\n--{BOUNDARY}--\r\n".encode())


def test_a_20_mb_dicom_upload_against_streaming_it_to_disk(full_site: Site, tmp_path: Path) -> None:
    body = tmp_path / "upload.body"
    multipart(body, dicom_study(SIZE_MB))
    csrf = secrets.token_hex(16)  # a CSRF secret of 32 characters, as Django's cookie holds
    sessions = prepare(full_site.database, "drafts", str(SESSIONS))["sessions"]
    cookies = [f"sessionid={key}; csrftoken={csrf}" for key in sessions]
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "X-CSRFToken": csrf,
        "X-Requested-With": "XMLHttpRequest",  # the JSON answer, as the upload script asks
    }
    load: dict[str, Any] = {
        "connections": CONNECTIONS,
        "method": "POST",
        "headers": headers,
        "body": body,
        "timeout_s": 60,
    }
    pids = full_site.worker_pids()
    try:
        for cookie in cookies[:2]:  # warm-up, one at a time: each worker has stored one
            answer = post(full_site.url(INTAKE_UPLOAD), body, headers=headers, cookie=cookie)
            assert answer == 200, f"the upload answered {answer}"
        with peak_rss(pids) as bare_rss:
            bare = run_wrk(full_site.url(BARE_UPLOAD), **load)
        with peak_rss(pids) as rss:
            upload = run_wrk(full_site.url(INTAKE_UPLOAD), cookies=cookies, **load)
    finally:
        stored = prepare(full_site.database, "drafts-cleanup")
    assert stored["documents"] > 0, "no upload was stored"
    row = Row(
        scenario="upload",
        what=f"POST {INTAKE_UPLOAD}, one {SIZE_MB} MB DICOM (draft case)",
        rps=upload.rps,
        p95_ms=upload.p95_ms,
        baseline="bare upload to disk",
        baseline_rps=bare.rps,
        extra={
            "rss_mb": f"{rss['peak_mb']:.0f}",
            "bare_rss_mb": f"{bare_rss['peak_mb']:.0f}",
            "mb_per_s": f"{upload.rps * SIZE_MB:.0f}",
            "stored": str(stored["documents"]),
        },
        target=f"ratio >= 0.50, rss < {RSS_LIMIT_MB} MB",
    )
    row.met = row.ratio >= 0.5 and rss["peak_mb"] < RSS_LIMIT_MB
    record(row)
    os.remove(body)
