"""Uploads: typed by content, capped, private; a bad file is refused alone."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.test import Client

from intake.models import Case, CaseDocument

from .files import (
    dicom_bytes,
    jpeg_bytes,
    pdf_bytes,
    png_bomb_bytes,
    png_bytes,
    upload,
)
from .wizard_data import post_step, step_answers

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/intake/step/records/upload/"
XHR = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture
def draft_client(client: Client, knee) -> Client:  # type: ignore[no-untyped-def]
    response = post_step(client, "about", step_answers(knee)["about"])
    assert response.status_code == 302
    return client


def _on_disk(root: Path, doc: CaseDocument) -> Path:
    assert doc.file.name
    return root / doc.file.name


def _files_on_disk(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("scan.jpg", jpeg_bytes())
    return buf.getvalue()


HOSTILE = {
    "an executable renamed .jpg": (
        "photo.jpg",
        b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode",
    ),
    "an ELF renamed .pdf": ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 300),
    "a PNG header followed by HTML": (
        "scan.png",
        b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>",
    ),
    "an SVG with a script": (
        "scan.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    "an SVG renamed .png": (
        "scan.png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    ),
    "a zip": ("scans.zip", _zip_bytes()),
    "a zip renamed .dcm": ("scan.dcm", _zip_bytes()),
    "a DICOM without DICM at 128": (
        "scan.dcm",
        dicom_bytes()[:128] + b"XXXX" + dicom_bytes()[132:],
    ),
    "a decompression-bomb PNG": ("bomb.png", png_bomb_bytes()),
    "a zero-byte file": ("empty.pdf", b""),
    "an HTML page": ("letter.pdf", b"<!doctype html><html><body onload=alert(1)>hi</body></html>"),
}


@pytest.mark.parametrize("label", list(HOSTILE))
def test_hostile_files_are_refused_with_a_message_and_leave_nothing_behind(
    draft_client: Client, private_media_root: Path, label: str
) -> None:
    name, data = HOSTILE[label]
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "xray", "files": [upload(name, data)]}, headers=XHR
    )
    assert response.status_code == 400, label
    body = response.json()
    assert body["ok"] is False and len(body["message"]) > 10, body
    assert not CaseDocument.objects.exists()
    assert _files_on_disk(private_media_root) == []


def test_one_bad_file_is_refused_by_name_and_the_others_are_kept(
    draft_client: Client, private_media_root: Path
) -> None:
    files = [
        upload("a.pdf", pdf_bytes()),
        upload("b.jpg", jpeg_bytes()),
        upload("evil.pdf", HOSTILE["an ELF renamed .pdf"][1]),
    ]
    response = draft_client.post(UPLOAD_URL, {"doc_type": "record", "files": files}, headers=XHR)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is False
    assert [r["name"] for r in body["refused"]] == ["evil.pdf"]
    assert "evil.pdf" in body["message"]
    assert sorted(CaseDocument.objects.values_list("original_name", flat=True)) == [
        "a.pdf",
        "b.jpg",
    ]
    assert len(_files_on_disk(private_media_root)) == 2


def test_a_file_over_the_cap_is_refused_before_it_is_stored(
    draft_client: Client, private_media_root: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.INTAKE_MAX_FILE_BYTES = 64 * 1024
    big = pdf_bytes() + b"%" + b"x" * (200 * 1024) + b"\n"
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload("big.pdf", big)]}, headers=XHR
    )
    assert response.status_code == 400
    assert "larger than" in response.json()["message"]
    assert not CaseDocument.objects.exists()
    assert _files_on_disk(private_media_root) == []


def test_101_files_in_one_request_are_refused(
    draft_client: Client, private_media_root: Path
) -> None:
    files = [upload(f"f{i}.pdf", pdf_bytes()) for i in range(101)]
    response = draft_client.post(UPLOAD_URL, {"doc_type": "record", "files": files}, headers=XHR)
    assert response.status_code == 400
    assert "100" in response.json()["message"]
    assert not CaseDocument.objects.exists()
    assert _files_on_disk(private_media_root) == []


def test_the_case_cap_refuses_a_body_before_reading_it(draft_client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.INTAKE_MAX_CASE_BYTES = 1024
    response = draft_client.post(
        UPLOAD_URL,
        {"doc_type": "record", "files": [upload("a.pdf", b"%PDF" + b"0" * (2 * 1024 * 1024))]},
        headers=XHR,
    )
    assert response.status_code == 413
    assert "limit" in response.json()["message"]
    assert not CaseDocument.objects.exists()


def test_the_case_cap_counts_what_is_already_stored(draft_client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    ok = draft_client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload("a.pdf", pdf_bytes())]}, headers=XHR
    )
    assert ok.status_code == 200
    used = CaseDocument.objects.get().size
    settings.INTAKE_MAX_CASE_BYTES = used + 100
    # small enough to pass the early Content-Length check, too big for what is left
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload("b.jpg", jpeg_bytes())]}, headers=XHR
    )
    assert response.status_code == 400 and "limit" in response.json()["message"]
    assert CaseDocument.objects.count() == 1


def test_real_pdf_jpeg_png_and_dicom_are_stored_privately_with_their_hash(
    draft_client: Client, private_media_root: Path
) -> None:
    for doc_type, name, data in [
        ("record", "letter.pdf", pdf_bytes()),
        ("xray", "knee.jpg", jpeg_bytes()),
        ("ultrasound", "us.png", png_bytes()),
        ("mri", "IM0001", dicom_bytes()),
    ]:
        response = draft_client.post(
            UPLOAD_URL, {"doc_type": doc_type, "files": [upload(name, data)]}, headers=XHR
        )
        assert response.status_code == 200, response.content
    docs = {d.doc_type: d for d in CaseDocument.objects.all()}
    assert {d.kind for d in docs.values()} == {"pdf", "jpeg", "png", "dicom"}
    assert docs["mri"].metadata.get("modality") == "MR"
    for doc in docs.values():
        on_disk = _on_disk(private_media_root, doc)
        assert on_disk.is_file()
        assert hashlib.sha256(on_disk.read_bytes()).hexdigest() == doc.sha256
        assert doc.size == on_disk.stat().st_size
        assert doc.original_name not in str(doc.file.name)  # server-chosen name
        with pytest.raises(NotImplementedError):
            doc.file.url  # noqa: B018 - private storage has no URL


@pytest.mark.parametrize("preamble_start", [b"MZ", b"\x7fELF"])
def test_a_dicom_preamble_holding_an_executable_is_stored_zeroed(
    draft_client: Client, private_media_root: Path, preamble_start: bytes
) -> None:
    preamble = preamble_start + b"\x90" * (128 - len(preamble_start))
    data = dicom_bytes(preamble=preamble)
    assert data[: len(preamble_start)] == preamble_start and data[128:132] == b"DICM"
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "mri", "files": [upload("IM1", data)]}, headers=XHR
    )
    assert response.status_code == 200, response.content
    doc = CaseDocument.objects.get()
    stored = (_on_disk(private_media_root, doc)).read_bytes()
    assert stored[:128] == b"\x00" * 128
    assert stored[128:132] == b"DICM"
    assert stored[132:] == data[132:]


def test_a_plain_form_upload_redirects_back_with_a_message(draft_client: Client) -> None:
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload("a.zip", _zip_bytes())]}, follow=True
    )
    assert response.redirect_chain[0][0] == "/intake/step/records/"
    assert 'class="alert alert-danger"' in response.content.decode()


def test_uploads_need_a_document_type(draft_client: Client) -> None:
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "selfie", "files": [upload("a.pdf", pdf_bytes())]}, headers=XHR
    )
    assert response.status_code == 400
    assert not CaseDocument.objects.exists()


def test_a_draft_document_can_be_downloaded_and_removed_by_its_owner_only(
    draft_client: Client, knee, private_media_root: Path, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    draft_client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload("a.pdf", pdf_bytes())]}, headers=XHR
    )
    doc = CaseDocument.objects.get()
    response = draft_client.get(f"/intake/step/records/documents/{doc.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == (_on_disk(private_media_root, doc)).read_bytes()  # type: ignore[attr-defined]

    stranger = Client()
    post_step(stranger, "about", {**step_answers(knee)["about"], "email": "eve@x.example"})
    for response in (
        stranger.get(f"/intake/step/records/documents/{doc.pk}/"),
        stranger.post(f"/intake/step/records/documents/{doc.pk}/remove/"),
    ):
        assert response.status_code == 404 and b"%PDF" not in response.content
    assert CaseDocument.objects.filter(pk=doc.pk).exists()

    path = _on_disk(private_media_root, doc)
    with django_capture_on_commit_callbacks(execute=True):
        draft_client.post(f"/intake/step/records/documents/{doc.pk}/remove/")
    assert not CaseDocument.objects.exists()
    assert not path.exists()


def test_a_submitted_case_cannot_take_wizard_uploads(draft_client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(status="withdrawn")
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload("a.pdf", pdf_bytes())]}, headers=XHR
    )
    assert response.status_code == 404
