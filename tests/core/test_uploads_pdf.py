"""PDFs: active content refused - escaped, compressed, or hidden behind a planted keyword."""

from __future__ import annotations

import io
import os
import struct
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable

import pytest
from django.core.files import File

from core.uploads import ALL_KINDS, FileKind, UploadRejected, sanitize_upload
from core.uploads import pdf as pdf_module

from . import upload_samples as samples
from .upload_samples import object_stream, pdf, stream

pytestmark = pytest.mark.usefixtures("upload_tmp")


def verdict(data: bytes, **kwargs: int) -> str:
    try:
        sanitize_upload(
            samples.upload(data, "doc.pdf"), allowed=ALL_KINDS, max_bytes=10**8, **kwargs
        ).close()
    except UploadRejected as error:
        return error.code
    return "accepted"


def flate_with_planted_endstream(hidden: bytes) -> bytes:
    """A zlib stream whose first (stored) block holds the word "endstream".

    A scanner that stops inflating at the first "endstream" it sees in the raw
    file never reaches ``hidden``; a reader, decoding by /Length, does.
    """
    planted = b"\nendstream\nendobj\n"
    stored = b"\x00" + struct.pack("<HH", len(planted), len(planted) ^ 0xFFFF) + planted
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    rest = deflater.compress(hidden) + deflater.flush()
    return b"\x78\x9c" + stored + rest + struct.pack(">I", zlib.adler32(planted + hidden))


JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert('hi')) >>"


# --- Accepted ---------------------------------------------------------------------
def test_a_real_pdf_from_a_real_writer_is_accepted_byte_for_byte() -> None:
    original = samples.pillow_pdf()
    with sanitize_upload(samples.upload(original), allowed=ALL_KINDS, max_bytes=10**6) as sanitized:
        assert sanitized.kind is FileKind.PDF
        assert (sanitized.content_type, sanitized.extension, sanitized.metadata) == (
            "application/pdf",
            ".pdf",
            {},
        )
        assert sanitized.file.read() == original


def test_binary_image_data_that_happens_to_contain_short_names_is_not_a_false_alarm() -> None:
    noise = bytearray(os.urandom(2 * 1024 * 1024))
    for at in range(1000, len(noise) - 10, 50_000):
        noise[at : at + 8] = b"/JS /RL "  # what chance produces in big scans
    content = zlib.compress(b"q 100 0 0 100 0 0 cm /Im0 Do Q BT /F1 12 Tf (Knee MRI report) Tj ET")
    document = pdf(
        stream(b"/Filter /FlateDecode", content),
        stream(
            b"/Type /XObject /Subtype /Image /Filter /DCTDecode", b"\xff\xd8\xff" + bytes(noise)
        ),
        stream(b"/Type /XObject /Subtype /Image /Filter /FlateDecode", zlib.compress(bytes(noise))),
    )
    assert verdict(document) == "accepted"


def test_inline_images_with_abbreviated_filters_in_page_content_are_fine() -> None:
    content = b"q BI /W 2 /H 1 /CS /G /BPC 8 /F /AHx ID 00FF> EI Q"
    assert verdict(pdf(stream(b"", content))) == "accepted"
    assert verdict(pdf(stream(b"/Filter /FlateDecode", zlib.compress(content)))) == "accepted"


def test_a_little_whitespace_before_the_header_is_tolerated() -> None:
    assert verdict(b"\r\n  " + samples.pillow_pdf()) == "accepted"


# --- Active content ---------------------------------------------------------------
@pytest.mark.parametrize(
    "document",
    [
        pdf(JS_ACTION, catalog_extra=b"/OpenAction 4 0 R"),
        pdf(b"<< /Type /Action /JS (app.alert(1)) >>"),
        pdf(b"<< /Type /Action /S /Launch /F (cmd.exe) >>", catalog_extra=b"/OpenAction 4 0 R"),
        pdf(b"<< /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>"),
        pdf(stream(b"/Type /EmbeddedFile", b"MZ payload")),
        pdf(b"<< /Type /Annot /Subtype /RichMedia >>"),
        pdf(b"<< /Fields [] /XFA 5 0 R >>"),
        pdf(b"<< /S /SubmitForm /F (https://evil.example/) >>"),
        pdf(b"<< /S /ImportData /F (data.fdf) >>"),
        pdf(b"<< /S /GoToE /T << /R /C /N (x) >> >>"),
        pdf(b"<< /S /J#61vaScript /JS (app.alert(1)) >>"),
        pdf(b"<< /S /#4A#61#76#61#53#63#72#69#70#74 >>"),
        pdf(b"<< /S /L#61unch /F (cmd.exe) >>"),
        pdf(b"<< /#4a#53 (app.alert(1)) >>"),
        pdf(b"<< /Type /Embedded#46ile >>"),
    ],
    ids=[
        "openaction-javascript",
        "js-only",
        "launch",
        "embeddedfiles",
        "embeddedfile",
        "richmedia",
        "xfa",
        "submitform",
        "importdata",
        "gotoe",
        "hex-javascript",
        "all-hex-javascript",
        "hex-launch",
        "hex-js",
        "hex-embeddedfile",
    ],
)
def test_it_refuses_a_pdf_with_active_content(document: bytes) -> None:
    assert verdict(document) == "pdf_active_content"


@pytest.mark.parametrize(
    "hidden",
    [JS_ACTION, b"<< /S /J#61vaScript /JS (x) >>", b"<< /JS (x) >>", b"<< /Type /EmbeddedFile >>"],
    ids=["javascript", "hex-escaped", "js-only", "embeddedfile"],
)
def test_it_finds_active_content_inside_a_compressed_object_stream(hidden: bytes) -> None:
    document = pdf(stream(b"/Filter /FlateDecode", zlib.compress(b"q Q")), object_stream(hidden))
    assert b"JavaScript" not in document and b"/JS" not in document  # only inflating finds it
    assert verdict(document) == "pdf_active_content"


def test_it_finds_active_content_inside_an_uncompressed_object_stream() -> None:
    assert verdict(pdf(object_stream(b"<< /JS (x) >>", compress=False))) == "pdf_active_content"


def test_it_follows_flate_inside_flate_even_when_the_dictionary_lies() -> None:
    doubled = zlib.compress(zlib.compress(b"10 0 " + JS_ACTION))
    assert (
        verdict(pdf(stream(b"/Subtype /Image /Filter /DCTDecode", doubled))) == "pdf_active_content"
    )


def test_a_planted_endstream_does_not_stop_the_inflating() -> None:
    hidden = flate_with_planted_endstream(b"10 0 " + JS_ACTION)
    document = pdf(stream(b"/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode", hidden))
    assert b"JavaScript" not in document and document.count(b"endstream") == 2
    assert verdict(document) == "pdf_active_content"


# --- Encryption, unchecked encodings, structure, bombs -------------------------------
def test_an_encrypted_pdf_is_refused() -> None:
    document = pdf().replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 9 0 R")
    assert verdict(document) == "pdf_encrypted"


@pytest.mark.parametrize(
    "filters",
    [
        b"/LZWDecode",
        b"/ASCII85Decode",
        b"/ASCIIHexDecode",
        b"/RunLengthDecode",
        b"/AHx",
        b"[/ASCII#48exDecode /FlateDecode]",
    ],
)
def test_encodings_we_cannot_look_inside_are_refused(filters: bytes) -> None:
    assert (
        verdict(pdf(stream(b"/Filter " + filters, b"80 0B 60 50 22 0C 0C 85 01>")))
        == "pdf_unsupported"
    )


def test_a_pdf_without_its_end_marker_is_refused() -> None:
    assert verdict(pdf(eof=False)) == "pdf_damaged"
    assert verdict(pdf() + b"% trailing junk\n" * 100) == "pdf_damaged"


@pytest.mark.parametrize(
    ("prefix", "code"),
    [
        (samples.EXE, "executable"),
        (b"<html><script>x()</script>", "markup"),
        (b"junk!" * 3, "pdf_damaged"),
        (b" " * 2000, "unrecognised"),
    ],
)
def test_a_pdf_header_behind_other_data_is_refused(prefix: bytes, code: str) -> None:
    assert verdict(prefix + samples.pillow_pdf()) == code


def test_a_zlib_bomb_stops_at_the_decoding_budget() -> None:
    bomb = zlib.compress(bytes(64 * 1024 * 1024), 9)
    document = pdf(stream(b"/Filter /FlateDecode", bomb))
    assert len(document) < 100_000
    assert verdict(document, pdf_decode_budget=8 * 1024 * 1024) == "pdf_too_complex"
    assert verdict(document, pdf_decode_budget=128 * 1024 * 1024) == "accepted"


def test_flate_nested_deeper_than_any_writer_does_is_refused() -> None:
    data = b"10 0 << /Type /Annot >>"
    for _ in range(6):
        data = zlib.compress(data)
    assert verdict(pdf(stream(b"/Filter /FlateDecode", data))) == "pdf_too_complex"


# --- Reading in bounded chunks ------------------------------------------------------
CASES = {
    "benign": pdf(
        stream(b"/Filter /FlateDecode", zlib.compress(b"q 1 0 0 1 0 0 cm Q" * 50)),
        stream(b"/Subtype /Image /Filter /DCTDecode", b"\xff\xd8 /JS /RL x" * 20),
    ),
    "objstm": pdf(object_stream(JS_ACTION)),
    "raw-objstm-js": pdf(object_stream(b"<< /JS (x) >>", compress=False)),
    "planted": pdf(
        stream(b"/Filter /FlateDecode", flate_with_planted_endstream(b"1 0 " + JS_ACTION))
    ),
    "hex-name": pdf(b"<< /S /J#61#76aScript >>"),
    "short-name": pdf(b"<< /JS 5 0 R >>"),
    "encrypted": pdf().replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 9 0 R"),
}


@pytest.mark.parametrize("chunk", [1, 7, 64, 129, 130, 1000])
def test_the_verdict_does_not_depend_on_where_the_chunks_break(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {name: verdict(data) for name, data in CASES.items()}
    assert expected["benign"] == "accepted" and expected["objstm"] == "pdf_active_content"
    monkeypatch.setattr(pdf_module, "CHUNK", chunk)
    assert {name: verdict(data) for name, data in CASES.items()} == expected


class RecordingReads(io.BytesIO):
    largest = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        RecordingReads.largest = max(RecordingReads.largest, len(data))
        return data


@pytest.mark.parametrize("kind", ["pdf", "dicom"])
def test_a_big_upload_is_read_in_chunks_never_whole(kind: str) -> None:
    padding = b"%" + b" " * (5 * 1024 * 1024) + b"\n"
    if kind == "pdf":
        data = samples.pillow_pdf().replace(b"\n", b"\n" + padding, 1)
    else:
        _size, chunks = samples.dicom_stream(5 * 1024 * 1024)
        data = b"".join(chunks)
    RecordingReads.largest = 0
    uploaded = File(RecordingReads(data), name="big.bin")
    with sanitize_upload(uploaded, allowed=ALL_KINDS, max_bytes=10**8) as sanitized:
        assert sanitized.size == len(data)
    assert 0 < RecordingReads.largest <= 1024 * 1024


def test_a_large_pdf_is_scanned_in_seconds_with_little_memory(figure: Callable[..., None]) -> None:
    """GIVEN 64 MB of PDF (JPEG and Flate images, 500 object streams) WHEN sanitized THEN fast."""
    noise = os.urandom(2 * 1024 * 1024)
    parts = [stream(b"/Subtype /Image /Filter /DCTDecode", b"\xff\xd8\xff" + noise)] * 16
    parts += [stream(b"/Subtype /Image /Filter /FlateDecode", zlib.compress(noise, 1))] * 16
    parts += [object_stream(b"<< /Type /Annot /Subtype /Link >>")] * 500
    with tempfile.TemporaryFile() as fh:
        fh.write(pdf(*parts))
        size = fh.tell()
        tracemalloc.start()
        started = time.perf_counter()
        try:
            with sanitize_upload(File(fh, name="big.pdf"), allowed=ALL_KINDS, max_bytes=10**9) as s:
                assert s.size == size
        finally:
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    figure(
        "pdf_scan",
        file_mb=round(size / 2**20),
        seconds=f"{elapsed:.2f}",
        peak_mb=f"{peak / 2**20:.1f}",
        note="under tracemalloc",
    )
    assert peak < 32 * 2**20
