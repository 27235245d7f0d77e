"""The upload handler and download headers, through Django's full request stack.

The 200 MB measurement streams a real request over a socket to the live
server (the test client would build the whole body in memory itself).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from . import upload_samples as samples

pytestmark = [pytest.mark.urls("tests.core.uploads_urls"), pytest.mark.usefixtures("upload_tmp")]


def small(name: str, size: int = 100) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size)


def test_every_upload_streams_to_disk_through_the_capped_handler(client: Client) -> None:
    assert django_settings.FILE_UPLOAD_HANDLERS == ["core.uploads.CappedUploadHandler"]
    body = client.post("/probe/", {"note": "hi", "document": small("tiny.pdf", 10)}).json()
    # Even a 10-byte file goes to a temporary file: nothing is buffered in memory.
    assert body["files"] == {"document": [["tiny.pdf", "TemporaryUploadedFile", 10]]}
    assert body["rejections"] == []


def test_a_file_over_the_cap_is_dropped_with_a_message_and_the_rest_kept(
    client: Client,
    settings,
    upload_tmp: Path,  # type: ignore[no-untyped-def]
) -> None:
    settings.UPLOAD_MAX_FILE_BYTES = 1000
    body = client.post(
        "/probe/",
        {"note": "hi", "big": small("mri-series.dcm", 5000), "ok": small("letter.pdf", 999)},
    ).json()
    assert body["files"] == {"ok": [["letter.pdf", "TemporaryUploadedFile", 999]]}
    assert body["post"] == ["note"]
    assert body["rejections"] == [
        "“mri-series.dcm” is larger than 1000\xa0bytes, so it was not uploaded."
    ]
    assert list(upload_tmp.iterdir()) == []  # the partial file is gone, and so is the kept one now


def test_a_view_can_install_the_handler_with_a_tighter_cap(client: Client) -> None:
    body = client.post("/tight/", {"a": small("a.pdf", 501), "b": small("b.pdf", 500)}).json()
    assert list(body["files"]) == ["b"]
    assert body["rejections"] == ["“a.pdf” is larger than 500\xa0bytes, so it was not uploaded."]


def test_exactly_the_file_limit_is_accepted(client: Client) -> None:
    files = [small(f"page-{i}.pdf", 10) for i in range(100)]
    body = client.post("/probe/", {"pages": files}).json()
    assert len(body["files"]["pages"]) == 100
    assert body["rejections"] == []


def test_one_file_over_the_limit_stops_the_whole_request_with_a_message(
    client: Client, upload_tmp: Path
) -> None:
    files = [small(f"page-{i}.pdf", 10) for i in range(101)]
    response = client.post("/probe/", {"note": "before the files", "pages": files})
    assert response.status_code == 200  # a clear message, not Django's bare 400
    body = response.json()
    assert body["files"] == {}  # none of the 100 that arrived first is handed to the view
    assert body["post"] == ["note"]
    assert body["rejections"] == [
        "More than 100 files were sent at once, so none of them was uploaded. "
        "Please send them in smaller groups."
    ]
    assert list(upload_tmp.iterdir()) == []


def test_a_request_over_the_total_cap_stops_and_deletes_what_it_stored(
    client: Client,
    settings,
    upload_tmp: Path,  # type: ignore[no-untyped-def]
) -> None:
    settings.UPLOAD_MAX_REQUEST_BYTES = 2500
    body = client.post(
        "/probe/", {"a": small("a.pdf", 1000), "b": small("b.pdf", 1000), "c": small("c.pdf", 1000)}
    ).json()
    assert body["files"] == {}
    assert "add up to more than" in body["rejections"][0]
    assert list(upload_tmp.iterdir()) == []


def test_the_view_can_sanitize_what_the_handler_stored(client: Client) -> None:
    body = client.post(
        "/sanitize/", {"document": SimpleUploadedFile("x.dcm", samples.dicom(preamble=samples.EXE))}
    ).json()
    assert body["kind"] == "dicom" and len(body["sha256"]) == 64
    refused = client.post("/sanitize/", {"document": SimpleUploadedFile("x.pdf", samples.EXE * 4)})
    assert refused.status_code == 400 and refused.json()["code"] == "executable"


def test_download_headers_survive_the_middleware(client: Client) -> None:
    default_storage.save("tests/scan.pdf", ContentFile(b"%PDF-1.7 x"))
    response = client.get("/download/scan.pdf", {"as": "../../etc/passwd\r\nX-Evil: 1.pdf"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="etc_passwd_X-Evil_1.pdf"'
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"  # not the site CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "X-Evil" not in response
    response.close()


# --- 200 MB through a real socket, memory measured in the server process -----------
def _vm_rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _vm_rss_kb()
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _vm_rss_kb())
            time.sleep(0.005)


def _post_streamed(
    url: str, field: str, file_name: str, size: int, chunks: Iterator[bytes]
) -> dict[str, object]:
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{file_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from chunks
        yield tail

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    connection.request(
        "POST",
        "/sanitize/",
        body=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
        },
    )
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    assert response.status == 200, payload
    return payload  # type: ignore[no-any-return]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_200_mb_upload_streams_with_flat_memory(
    live_server: object,
    figure: Callable[..., None],
    settings,  # type: ignore[no-untyped-def]
    upload_tmp: Path,
) -> None:
    """
    GIVEN the live server with the capped handler and a view that sanitizes the upload
    WHEN a 200 MB DICOM study is streamed to it over a socket, 1 MB at a time
    THEN it is stored, sanitized and hashed while the process allocates under 50 MB
    """
    settings.UPLOAD_MAX_FILE_BYTES = 256 * 1024 * 1024
    url = str(live_server)
    size, chunks = samples.dicom_stream(5 * 1024 * 1024)
    _post_streamed(url, "document", "warmup.dcm", size, chunks)  # imports, first-request caches

    size, chunks = samples.dicom_stream(200 * 1024 * 1024)
    sampler = RssSampler()
    rss_before = sampler.peak
    tracemalloc.start()
    sampler.start()
    started = time.monotonic()
    try:
        payload = _post_streamed(url, "document", "study.dcm", size, chunks)
    finally:
        elapsed = time.monotonic() - started
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        sampler.running = False
        sampler.join()
    assert payload["kind"] == "dicom" and payload["size"] == size
    traced_mb = traced_peak / 2**20
    rss_growth_mb = (sampler.peak - rss_before) / 1024
    figure(
        "upload_memory",
        file_mb=round(size / 2**20),
        peak_mb=f"{traced_mb:.1f}",
        rss_growth_mb=f"{rss_growth_mb:.1f}",
        seconds=f"{elapsed:.1f}",
        method="live_server+tracemalloc",
    )
    deadline = time.monotonic() + 10  # the server closes the request's files just after replying
    while list(upload_tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(upload_tmp.iterdir()) == [], "the streamed upload was left on disk"
    assert traced_mb < 50, f"Python allocations peaked at {traced_mb:.1f} MB"
    assert rss_growth_mb < 50, f"resident memory grew by {rss_growth_mb:.1f} MB"
