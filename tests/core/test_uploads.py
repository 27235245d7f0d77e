"""core.uploads: type by content, refusals, the result, names, downloads, properties.

Every hostile file is built in the run, small and real (tests/core/upload_samples.py).
Images and DICOM: test_uploads_media.py. PDF: test_uploads_pdf.py. Upload handler and
HTTP, including the 200 MB memory measurement: test_uploads_http.py.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from django.http import Http404, StreamingHttpResponse
from django.utils.functional import Promise
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.uploads import (
    ALL_KINDS,
    DOCUMENT_KINDS,
    FileKind,
    UploadRejected,
    clean_display_name,
    private_file_response,
    sanitize_upload,
    server_file_name,
)

from . import upload_samples as samples
from .upload_samples import accept, refuse, reopen

pytestmark = pytest.mark.usefixtures("upload_tmp")


# --- Type by content --------------------------------------------------------------
def test_it_decides_the_type_by_content_not_by_the_name_or_the_browser() -> None:
    with accept(samples.png(), name="scan.pdf") as sanitized:  # the browser said application/pdf
        assert sanitized.kind is FileKind.PNG
        assert (sanitized.content_type, sanitized.extension) == ("image/png", ".png")
        assert sanitized.original_name == "scan.pdf"


def test_a_kind_that_is_not_allowed_here_is_refused() -> None:
    error = refuse(samples.dicom(), "not_allowed", allowed=DOCUMENT_KINDS, name="knee.pdf")
    assert "DICOM" in str(error.message) and "PDF, JPEG, PNG" in str(error.message)
    refuse(samples.pillow_pdf(), "not_allowed", allowed=frozenset({FileKind.JPEG}))


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("report.pdf", samples.pillow_pdf())
    return buf.getvalue()


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        data = samples.pillow_pdf()
        info = tarfile.TarInfo("report.pdf")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (samples.EXE + b"\x00" * 200, "results.pdf", "executable"),
        (samples.EXE + b"\x00" * 200, "xray.jpg", "executable"),
        (samples.ELF + b"\x00" * 200, "results.pdf", "executable"),
        (b"#!/bin/sh\nrm -rf ~\n", "notes.pdf", "executable"),
        (_zip(), "records.pdf", "archive"),
        (gzip.compress(b"%PDF-1.7 hidden"), "records.pdf", "archive"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 64, "records.pdf", "archive"),
        (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 64, "records.pdf", "archive"),
        (_tar(), "records.pdf", "archive"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "a.png",
            "markup",
        ),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
            "a.png",
            "markup",
        ),
        (
            b"<!DOCTYPE html><html><body><script>fetch('/')</script></body></html>",
            "a.pdf",
            "markup",
        ),
        (b"\xef\xbb\xbf  <html><img src=x onerror=alert(1)>", "a.jpg", "markup"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "a.png", "image_format"),
        (b"just some plain text that is not a document", "a.pdf", "unrecognised"),
    ],
    ids=[
        "exe-as-pdf",
        "exe-as-jpg",
        "elf-as-pdf",
        "script",
        "zip",
        "gzip",
        "7z",
        "rar",
        "tar",
        "svg-script",
        "svg",
        "html",
        "html-bom",
        "gif",
        "text",
    ],
)
def test_it_refuses_programs_archives_markup_and_unknown_files(
    data: bytes, name: str, code: str
) -> None:
    refuse(data, code, name=name)


def test_an_empty_file_is_refused() -> None:
    assert str(refuse(b"", "empty").message) == "This file is empty. Please choose the file again."


def test_a_file_over_max_bytes_is_refused_and_one_at_the_limit_is_not() -> None:
    data = samples.pillow_pdf()
    error = refuse(data, "too_large", max_bytes=len(data) - 1)
    assert "larger than" in str(error.message)
    sanitize_upload(samples.upload(data), allowed=ALL_KINDS, max_bytes=len(data)).close()


# --- Result: digest, size, file, names ---------------------------------------------
def test_sha256_and_size_describe_the_sanitized_bytes() -> None:
    original = samples.jpeg(gps=True)
    with accept(original) as sanitized:
        data = reopen(sanitized)
        assert sanitized.sha256 == hashlib.sha256(data).hexdigest()
        assert sanitized.size == len(data) == sanitized.file.size
        assert sanitized.sha256 != hashlib.sha256(original).hexdigest()


def test_the_sanitized_file_is_ready_to_store_and_leaves_nothing_behind(upload_tmp: Path) -> None:
    sanitized = accept(samples.pillow_pdf())
    assert sanitized.file.tell() == 0
    copy = reopen(sanitized)
    sanitized.file.seek(0)
    stored = default_storage.save(server_file_name(sanitized.kind, prefix="intake"), sanitized.file)
    sanitized.close()
    assert default_storage.open(stored).read() == copy  # the PDF as qpdf rewrote it
    assert copy.startswith(b"%PDF-") and hashlib.sha256(copy).hexdigest() == sanitized.sha256
    assert list(upload_tmp.iterdir()) == []


def test_the_original_name_is_cleaned_for_display_only() -> None:
    assert clean_display_name("C:\\Users\\jane\\..\\scan.pdf") == "scan.pdf"
    assert clean_display_name("../../etc/passwd") == "passwd"
    assert clean_display_name("invoice\u202efdp.exe") == "invoicefdp.exe"  # no right-to-left trick
    assert clean_display_name("\x00\x1b[31m.hidden") == "[31m.hidden"
    long = clean_display_name("a" * 300 + ".pdf")
    assert len(long) == 120 and long.endswith("….pdf")
    assert clean_display_name("") == "upload"


def test_server_file_names_are_random_and_dated() -> None:
    name = server_file_name(FileKind.DICOM, prefix="intake/imaging")
    assert re.fullmatch(r"intake/imaging/\d{4}/\d{2}/[0-9a-f]{32}\.dcm", name)
    assert name != server_file_name(FileKind.DICOM, prefix="intake/imaging")


@pytest.mark.parametrize(
    "prefix", ["", "/intake", "intake/", "../intake", "intake/../x", "In take", "a//b"]
)
def test_server_file_name_refuses_a_bad_prefix(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        server_file_name(FileKind.PDF, prefix=prefix)


# --- Downloads --------------------------------------------------------------------
def _stored(content: bytes) -> FieldFile:
    name = default_storage.save("tests/report.pdf", ContentFile(content))
    return FieldFile(None, FileField(storage=default_storage), name)  # type: ignore[arg-type]


def test_private_file_response_is_an_attachment_that_cannot_run_or_be_cached(db: None) -> None:
    # Closing a response fires request_finished, which tidies the database connection.
    response = private_file_response(
        _stored(b"%PDF-1.7 body"),
        download_name='CC-12 "scan" <x>.pdf',
        content_type="application/pdf",
    )
    assert response["Content-Disposition"] == 'attachment; filename="CC-12_scan_x_.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert isinstance(response, StreamingHttpResponse)
    assert b"".join(response.streaming_content) == b"%PDF-1.7 body"  # type: ignore[arg-type]
    response.close()


def test_private_file_response_never_serves_a_type_we_do_not_store(db: None) -> None:
    response = private_file_response(
        _stored(b"<html>"), download_name="x.html", content_type="text/html"
    )
    assert response["Content-Type"] == "application/octet-stream"
    response.close()


def test_private_file_response_is_404_when_the_file_is_gone() -> None:
    fieldfile = FieldFile(None, FileField(storage=default_storage), "tests/missing.pdf")  # type: ignore[arg-type]
    with pytest.raises(Http404):
        private_file_response(fieldfile, download_name="x.pdf", content_type="application/pdf")


# --- Property: nothing but UploadRejected, nothing left behind -----------------------
_PREFIXES = [
    b"",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
    b"%PDF-1.7\n",
    bytes(128) + b"DICM",
    b"MZ",
    b"PK\x03\x04",
    b"<svg",
    samples.png()[:33],
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from(_PREFIXES),
    body=st.binary(max_size=4096),
    tail=st.sampled_from([b"", b"\n%%EOF\n"]),
)
def test_random_bytes_never_raise_anything_but_upload_rejected(
    upload_tmp: Path, caplog: pytest.LogCaptureFixture, prefix: bytes, body: bytes, tail: bytes
) -> None:
    caplog.clear()  # one fixture for all examples: only this example's records count
    try:
        sanitized = sanitize_upload(
            samples.upload(prefix + body + tail), allowed=ALL_KINDS, max_bytes=1 << 20
        )
    except UploadRejected as error:
        assert isinstance(error.message, Promise)
    else:
        sanitized.close()
    assert list(upload_tmp.iterdir()) == []
    # The catch-all in sanitize_upload logs at ERROR: it must never be what refused.
    assert not [
        r for r in caplog.records if r.name.startswith("core.uploads") and r.levelname == "ERROR"
    ]


_VALID = [
    samples.png(),
    samples.jpeg(),
    samples.pillow_pdf(),
    samples.dicom(),
    samples.pdf(samples.object_stream(b"<< /Type /Annot >>")),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    original=st.sampled_from(_VALID),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    cut=st.floats(0.2, 1.0),
)
def test_damaged_real_files_never_raise_anything_but_upload_rejected(
    upload_tmp: Path,
    caplog: pytest.LogCaptureFixture,
    original: bytes,
    flips: list[tuple[float, int]],
    cut: float,
) -> None:
    caplog.clear()  # one fixture for all examples: only this example's records count
    data = bytearray(original[: max(1, int(len(original) * cut))])
    for where, value in flips:
        data[int(where * len(data))] = value
    try:
        sanitized = sanitize_upload(
            samples.upload(bytes(data)), allowed=ALL_KINDS, max_bytes=1 << 20
        )
    except UploadRejected as error:
        assert isinstance(error.message, Promise)
    else:
        sanitized.close()
    assert list(upload_tmp.iterdir()) == []
    # The catch-all in sanitize_upload logs at ERROR: it must never be what refused.
    assert not [
        r for r in caplog.records if r.name.startswith("core.uploads") and r.levelname == "ERROR"
    ]
