"""PDFs: opened by qpdf, active content removed from the stored copy, broken ones refused.

The hostile corpus (tests/core/pdf_corpus.py) is the old byte scanner's, plus files
from a real writer. Where the scanner refused, the sanitiser now disarms: the copy
keeps pages, text and images, and says what it removed.
"""

from __future__ import annotations

import binascii
import io
import json
import os
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.core.files import File

from core.uploads import ALL_KINDS, FileKind, UploadRejected, sanitize_upload
from core.uploads import pdf as pdf_module
from core.uploads import sanitize as sanitize_module

from . import pdf_corpus as corpus
from . import upload_samples as samples
from .pdf_corpus import HIDDEN, HOSTILE, JS_ACTION, active_content_left, decoded
from .upload_samples import object_stream, pdf, stream

pytestmark = pytest.mark.usefixtures("upload_tmp")


def verdict(data: bytes, **kwargs: int) -> str:
    """ "accepted", "disarmed" or the refusal's code."""
    try:
        with sanitize_upload(
            samples.upload(data, "doc.pdf"), allowed=ALL_KINDS, max_bytes=10**8, **kwargs
        ) as sanitized:
            return "disarmed" if sanitized.active_content_removed else "accepted"
    except UploadRejected as error:
        return error.code


def stored(data: bytes) -> tuple[bytes, tuple[str, ...], dict[str, str]]:
    with sanitize_upload(samples.upload(data), allowed=ALL_KINDS, max_bytes=10**8) as sanitized:
        assert (sanitized.kind, sanitized.content_type) == (FileKind.PDF, "application/pdf")
        return samples.reopen(sanitized), sanitized.removed, sanitized.metadata


def page_texts(data: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(data)) as doc:
        return [page.obj.Contents.read_bytes() for page in doc.pages]


# --- Accepted as they are -------------------------------------------------------------
def test_a_real_pdf_is_rewritten_with_its_page_and_image_and_nothing_reported() -> None:
    original = samples.pillow_pdf()
    copy, removed, metadata = stored(original)
    assert removed == () and metadata == {"pages": "1"}
    with pikepdf.open(io.BytesIO(original)) as before, pikepdf.open(io.BytesIO(copy)) as after:
        images = [
            [img.read_raw_bytes() for img in doc.pages[0].obj.Resources.XObject.values()]
            for doc in (before, after)
        ]
    assert images[0] == images[1] and len(images[0]) == 1


def test_binary_image_data_that_happens_to_contain_names_is_not_a_false_alarm() -> None:
    noise = bytearray(os.urandom(2 * 1024 * 1024))
    for at in range(1000, len(noise) - 40, 50_000):
        noise[at : at + 32] = b"/JS /RL /JavaScript /Launch /AA "  # what chance produces
    content = zlib.compress(b"q 100 0 0 100 0 0 cm /Im0 Do Q BT /F1 12 Tf (Knee MRI report) Tj ET")
    document = pdf(
        stream(b"/Filter /FlateDecode", content),
        stream(
            b"/Type /XObject /Subtype /Image /Filter /DCTDecode", b"\xff\xd8\xff" + bytes(noise)
        ),
        stream(b"/Type /XObject /Subtype /Image /Filter /FlateDecode", zlib.compress(bytes(noise))),
        page_extra=b"/Contents 4 0 R /Resources << /XObject << /Im0 5 0 R /Im1 6 0 R >> >>",
    )
    assert verdict(document) == "accepted"


def test_inline_images_with_abbreviated_filters_in_page_content_are_fine() -> None:
    content = b"q BI /W 2 /H 1 /CS /G /BPC 8 /F /AHx ID 00FF> EI Q"
    assert verdict(pdf(stream(b"", content))) == "accepted"
    assert verdict(pdf(stream(b"/Filter /FlateDecode", zlib.compress(content)))) == "accepted"


def test_a_little_whitespace_before_the_header_is_tolerated() -> None:
    assert verdict(b"\r\n  " + samples.pillow_pdf()) == "accepted"


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
def test_old_encodings_are_read_by_the_parser_instead_of_refused(filters: bytes) -> None:
    assert verdict(pdf(stream(b"/Filter " + filters, b"80 0B 60 50 22 0C 0C 85 01>"))) == "accepted"


# --- Disarmed ---------------------------------------------------------------------------
def test_every_hostile_sample_is_stored_without_active_content(
    figure: Callable[..., None],
) -> None:
    """GIVEN the hostile corpus WHEN each file is sanitised THEN the stored copy, parsed
    back with pikepdf and searched with every stream decoded, has nothing left to run,
    and the sanitiser says what it removed."""
    left: dict[str, list[str]] = {}
    wrong_report: dict[str, tuple[set[str], set[str]]] = {}
    leaked: list[str] = []
    for name, (data, expected) in HOSTILE.items():
        copy, removed, metadata = stored(data)
        left[name] = active_content_left(copy)
        if set(removed) != expected or metadata["active_content_removed"] != ",".join(removed):
            wrong_report[name] = (expected, set(removed))
    for name, (data, marker) in HIDDEN.items():
        copy, removed, _metadata = stored(data)
        left[name] = active_content_left(copy)
        if removed or marker in decoded(copy):
            leaked.append(name)
    active_left = sum(len(found) for found in left.values())
    figure("pdf.disarm", samples=len(left), active_left=active_left)
    assert active_left == 0, {name: found for name, found in left.items() if found}
    assert wrong_report == {} and leaked == []


def test_the_check_finds_what_a_reader_could_run_in_the_originals() -> None:
    # It walks what a reader reaches from the trailer: only the hand-made orphans
    # (an action or attachment nothing points to) look inert to it before disarming.
    inert = {name for name, (data, _labels) in HOSTILE.items() if not active_content_left(data)}
    assert inert == corpus.ORPHANS


def test_a_hospital_report_with_a_print_script_keeps_its_pages_text_and_image() -> None:
    original = corpus.print_script_report()
    copy, removed, metadata = stored(original)
    assert removed == ("javascript",) and metadata["pages"] == "2"
    assert page_texts(copy) == page_texts(original)
    assert all(corpus.REPORT_TEXT in text for text in page_texts(copy))
    with pikepdf.open(io.BytesIO(copy)) as doc:
        assert "/OpenAction" not in doc.Root
        assert "/JavaScript" not in doc.Root.get("/Names", pikepdf.Dictionary())
        assert [list(page.obj.Resources.XObject) for page in doc.pages] == [["/Im0"], ["/Im0"]]


def test_form_fields_stay_but_their_scripts_and_the_submit_action_go() -> None:
    copy, _removed, _metadata = stored(corpus.form_with_scripts_and_submit())
    with pikepdf.open(io.BytesIO(copy)) as doc:
        fields = list(doc.Root.AcroForm.Fields)
        assert [str(f.T) for f in fields] == ["weight", "send"]
        assert all("/AA" not in f and "/A" not in f for f in fields)


def test_an_attachment_annotation_is_removed_and_a_plain_link_keeps_its_place() -> None:
    copy, removed, _metadata = stored(corpus.attachment_annotation())
    assert removed == ("embedded_files",)
    with pikepdf.open(io.BytesIO(copy)) as doc:
        assert "/Annots" not in doc.pages[0].obj or len(doc.pages[0].obj.Annots) == 0
    copy, removed, _metadata = stored(corpus.goto_then_script())
    with pikepdf.open(io.BytesIO(copy)) as doc:
        action = doc.pages[0].obj.Annots[0].A
        assert str(action.S) == "/GoTo" and "/Next" not in action


def test_a_web_link_loses_its_address_but_the_link_area_stays() -> None:
    copy, removed, _metadata = stored(
        corpus.link(
            pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://track.example/1"))
        )
    )
    assert removed == ("external_links",)
    assert b"track.example" not in decoded(copy)


def test_an_owner_password_pdf_is_accepted_and_stored_unlocked() -> None:
    copy, removed, _metadata = stored(corpus.owner_password_with_script())
    assert removed == ("javascript",)
    with pikepdf.open(io.BytesIO(copy)) as doc:
        assert not doc.is_encrypted and len(doc.pages) == 1


# --- Refused ----------------------------------------------------------------------------
def test_a_pdf_that_needs_a_password_to_open_asks_for_an_unlocked_copy() -> None:
    error = samples.refuse(corpus.user_password(), "pdf_password")
    assert "unlocked copy" in str(error.message)


def test_an_encrypt_entry_that_points_nowhere_is_not_encryption() -> None:
    assert verdict(pdf().replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 9 0 R")) == "accepted"


def test_a_pdf_without_its_end_marker_is_refused() -> None:
    assert verdict(pdf(eof=False)) == "pdf_damaged"
    assert verdict(pdf() + b"% trailing junk\n" * 100) == "pdf_damaged"


def test_a_pdf_the_parser_cannot_read_is_refused_as_damaged() -> None:
    error = samples.refuse(b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n", "pdf_unreadable")
    assert "damaged" in str(error.message)


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


def test_chained_flate_is_inflated_layer_by_layer_against_the_budget() -> None:
    data = bytes(32 * 1024 * 1024)
    for _ in range(4):
        data = zlib.compress(data, 9)
    document = pdf(stream(b"/Filter [/FlateDecode /FlateDecode /FlateDecode /FlateDecode]", data))
    assert verdict(document, pdf_decode_budget=8 * 1024 * 1024) == "pdf_too_complex"
    # One /FlateDecode around four more layers: a reader inflates once; the rest is opaque.
    assert verdict(pdf(stream(b"/Filter /FlateDecode", zlib.compress(data)))) == "accepted"


def test_a_bomb_the_parser_must_decode_hits_the_memory_limit(settings: Any) -> None:
    deflater = zlib.compressobj(9)
    body = b"".join(deflater.compress(bytes(1 << 20)) for _ in range(256)) + deflater.flush()
    document = pdf(stream(b"/Filter [/ASCIIHexDecode /FlateDecode]", binascii.hexlify(body) + b">"))
    settings.UPLOAD_PDF_MAX_MEMORY_BYTES = 128 * 1024 * 1024
    assert verdict(document, pdf_decode_budget=10**10) == "pdf_too_complex"


def test_too_many_pages_or_objects_are_refused(settings: Any) -> None:
    three_pages = corpus.written(corpus.report(pages=3))
    settings.UPLOAD_PDF_MAX_PAGES = 2
    assert verdict(three_pages) == "pdf_too_complex"
    settings.UPLOAD_PDF_MAX_PAGES, settings.UPLOAD_PDF_MAX_OBJECTS = 2000, 5
    assert verdict(three_pages) == "pdf_too_complex"


def test_a_parser_that_hangs_is_stopped_at_the_time_budget(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hang = tmp_path / "hang.py"
    hang.write_text("import time\ntime.sleep(60)\n")
    monkeypatch.setattr(pdf_module, "CHILD", hang)
    settings.UPLOAD_PDF_MAX_SECONDS = 1
    started = time.monotonic()
    assert verdict(samples.pillow_pdf()) == "pdf_too_complex"
    assert time.monotonic() - started < 10


def test_the_parser_runs_in_a_process_without_our_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen = tmp_path / "environ.json"
    spy = tmp_path / "spy.py"
    spy.write_text(
        "import json, os\n"
        f"json.dump(dict(os.environ), open({str(seen)!r}, 'w'))\n"
        "print(json.dumps({'ok': False, 'code': 'pdf_password'}))\n"
    )
    monkeypatch.setattr(pdf_module, "CHILD", spy)
    monkeypatch.setenv("SECRET_KEY", "must-not-leak")
    assert verdict(samples.pillow_pdf()) == "pdf_password"  # the spy's answer came back
    environ = json.loads(seen.read_text())
    assert "SECRET_KEY" not in environ and "DATABASE_URL" not in environ


# --- Reading in bounded chunks ------------------------------------------------------------
CASES = {
    "benign": pdf(
        stream(b"/Filter /FlateDecode", zlib.compress(b"q 1 0 0 1 0 0 cm Q" * 50)),
        stream(b"/Subtype /Image /Filter /DCTDecode", b"\xff\xd8 /JS /RL x" * 20),
    ),
    "objstm": pdf(object_stream(JS_ACTION)),
    "hex-name": pdf(b"<< /S /J#61#76aScript >>"),
    "openaction": pdf(JS_ACTION, catalog_extra=b"/OpenAction 4 0 R"),
}


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_the_verdict_does_not_depend_on_where_the_chunks_break(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {
        "benign": "accepted",
        "objstm": "accepted",
        "hex-name": "disarmed",
        "openaction": "disarmed",
    }
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
        assert sanitized.size > 0
    assert 0 < RecordingReads.largest <= 1024 * 1024


def test_a_large_pdf_is_disarmed_in_seconds_with_little_memory(
    figure: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN 64 MB of PDF (32 images, 500 object streams) WHEN sanitized THEN fast, and the
    web process's memory stays flat (the parsing happens in the child)."""
    children: list[Any] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        children.append(pdf_module.disarm_pdf(*args, **kwargs))
        return children[-1]

    monkeypatch.setattr(sanitize_module, "disarm_pdf", recording)
    noise = os.urandom(2 * 1024 * 1024)
    parts = [stream(b"/Subtype /Image /Filter /DCTDecode", b"\xff\xd8\xff" + noise)] * 16
    parts += [stream(b"/Subtype /Image /Filter /FlateDecode", zlib.compress(noise, 1))] * 16
    parts += [object_stream(b"<< /Type /Annot /Subtype /Link >>")] * 500
    images = b" ".join(b"/I%d %d 0 R" % (i, i + 4) for i in range(32))
    with tempfile.TemporaryFile() as fh:
        fh.write(pdf(*parts, page_extra=b"/Resources << /XObject << " + images + b" >> >>"))
        size = fh.tell()
        tracemalloc.start()
        started = time.perf_counter()
        try:
            with sanitize_upload(File(fh, name="big.pdf"), allowed=ALL_KINDS, max_bytes=10**9) as s:
                assert s.size > 32 * 2 * 1024 * 1024 and s.removed == ()
        finally:
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    figure(
        "pdf_scan",
        file_mb=round(size / 2**20),
        seconds=f"{elapsed:.2f}",
        peak_mb=f"{peak / 2**20:.1f}",
        child_peak_mb=f"{children[0].peak_kb / 1024:.0f}",
        note="web process under tracemalloc; child = qpdf's process, max RSS",
    )
    assert peak < 32 * 2**20
