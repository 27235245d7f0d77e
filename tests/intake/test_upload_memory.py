"""Memory stays flat while a 200 MB DICOM streams into the intake upload endpoint."""

from __future__ import annotations

import http.client
import struct
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from intake.models import CaseDocument

from .files import dicom_bytes
from .wizard_data import post_step, step_answers

FILE_BYTES = 200 * 1024 * 1024
CHUNK = 1024 * 1024
# The whole file would be 200 MB; the server may hold a few chunks, a parser
# buffer and pydicom's header parse, nothing near the file.
PEAK_BOUND_MB = 16


def _dicom_header_for(pixel_bytes: int) -> bytes:
    """A real DICOM file's bytes up to the PixelData value (Explicit VR Little Endian)."""
    small = dicom_bytes(pixels=16)
    tag = b"\xe0\x7f\x10\x00"
    return small[: small.rindex(tag)] + tag + b"OB\x00\x00" + struct.pack("<I", pixel_bytes)


def _multipart_head(boundary: str, csrf: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n'
        f"\r\n{csrf}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\nmri\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="IM0001"\r\n'
        "Content-Type: application/dicom\r\n\r\n"
    ).encode()


def _zeros(count: int) -> Iterator[bytes]:
    zeros = bytes(CHUNK)
    while count > 0:
        n = min(count, CHUNK)
        yield zeros[:n]
        count -= n


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_200_mb_dicom_upload_keeps_memory_flat(
    live_server,
    knee,
    figure: Callable[..., None],  # type: ignore[no-untyped-def]
) -> None:
    """
    GIVEN a patient's draft on a live server
    WHEN a 200 MB DICOM is streamed to the intake upload endpoint in 1 MB chunks
    THEN it is stored whole, and the Python heap never grows by more than a small bound
    """
    assert settings.INTAKE_MAX_FILE_BYTES >= FILE_BYTES
    client = Client()
    post_step(client, "about", step_answers(knee)["about"])
    client.get("/intake/")
    session = client.cookies["sessionid"].value
    csrf = client.cookies["csrftoken"].value

    pixel_bytes = FILE_BYTES - len(_dicom_header_for(0))
    header = _dicom_header_for(pixel_bytes)
    boundary = uuid.uuid4().hex
    head = _multipart_head(boundary, csrf)
    tail = f"\r\n--{boundary}--\r\n".encode()
    total = len(head) + FILE_BYTES + len(tail)

    url = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        conn.putrequest("POST", "/intake/step/records/upload/")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(total))
        conn.putheader("Cookie", f"sessionid={session}; csrftoken={csrf}")
        conn.putheader("X-Requested-With", "XMLHttpRequest")
        conn.putheader("Referer", live_server.url + "/intake/step/records/")
        conn.endheaders()
        conn.send(head + header)
        for chunk in _zeros(pixel_bytes):
            conn.send(chunk)
        conn.send(tail)
        response = conn.getresponse()
        body = response.read()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        conn.close()
    assert response.status == 200, body[:500]
    doc = CaseDocument.objects.get()
    assert doc.kind == "dicom" and doc.size == FILE_BYTES
    peak_mb = peak / (1024 * 1024)
    figure(
        "intake_upload_memory",
        file_mb=FILE_BYTES // (1024 * 1024),
        peak_mb=f"{peak_mb:.1f}",
        bound_mb=PEAK_BOUND_MB,
        method="tracemalloc",
    )
    assert peak_mb < PEAK_BOUND_MB, f"peak {peak_mb:.1f} MB while uploading 200 MB"
