"""A batch of files: each stored or refused on its own, by name, wherever it is sent from."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from core.models import AuditEvent
from intake import services
from intake.models import Case, CaseDocument, UploadChannel

from .files import dicom_bytes, jpeg_bytes, pdf_bytes, png_bytes, upload
from .wizard_data import post_step, step_answers

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/intake/step/records/upload/"
RECORDS_URL = "/intake/step/records/"
XHR = {"X-Requested-With": "XMLHttpRequest"}
HTMX = {"HX-Request": "true"}
# An executable with a photo's name: refused by every version of the sanitizer.
BAD_NAME = "holiday-photo.jpg"
BAD_BYTES = b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode"


def _ten_with_one_bad() -> list[Any]:
    good = [
        upload("letter.pdf", pdf_bytes("Referral")),
        upload("knee-front.jpg", jpeg_bytes()),
        upload("knee-side.png", png_bytes()),
        upload("IM000001", dicom_bytes()),
        upload("IM000002", dicom_bytes()),
        upload("labs.pdf", pdf_bytes("Labs")),
        upload("knee-back.png", png_bytes((40, 40))),
        upload("discharge.pdf", pdf_bytes("Discharge")),
        upload("IM000003", dicom_bytes()),
    ]
    return [*good[:5], upload(BAD_NAME, BAD_BYTES), *good[5:]]


def _files_on_disk(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def draft_client(client: Client, knee) -> Client:  # type: ignore[no-untyped-def]
    assert post_step(client, "about", step_answers(knee)["about"]).status_code == 302
    return client


@pytest.fixture
def at_records(draft_client: Client, knee) -> Client:  # type: ignore[no-untyped-def]
    """A draft whose patient has answered every step before the records."""
    answers = step_answers(knee)
    for step in ("condition", "history", "screening"):
        assert post_step(draft_client, step, answers[step]).status_code == 302, step
    return draft_client


def test_a_batch_of_ten_with_one_bad_file_keeps_the_nine_and_names_the_one(
    draft_client: Client, private_media_root: Path
) -> None:
    """
    GIVEN a draft
    WHEN ten files arrive in one request and the sixth is an executable named like a photo
    THEN the nine are stored, the sixth is refused by its name with the reason, and none of its
    bytes stay on disk
    """
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "record", "files": _ten_with_one_bad()}, headers=XHR
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is False
    assert [r["name"] for r in body["refused"]] == [BAD_NAME]
    assert len(body["refused"][0]["reason"]) > 10
    assert f"“{BAD_NAME}” was not uploaded" in body["message"]
    assert "9 files uploaded." in body["message"]
    assert len(body["stored"]) == 9
    assert CaseDocument.objects.count() == 9
    assert BAD_NAME not in CaseDocument.objects.values_list("original_name", flat=True)
    assert len(_files_on_disk(private_media_root)) == 9


def test_htmx_gets_the_document_list_with_what_arrived_and_what_did_not(
    draft_client: Client,
) -> None:
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "record", "files": _ten_with_one_bad()}, headers=HTMX
    )
    # 200 even with a refusal: htmx swaps only successful answers, and the refusal is news.
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section aria-labelledby="docs-heading"')
    assert 'id="documents"' in html and "<html" not in html
    refused = re.search(r'id="refused-list">(.*?)</ul>', html, re.S)
    assert refused and BAD_NAME in refused.group(1)
    assert re.search(r'id="arrived-list">(.*?)</ul>', html, re.S).group(1).count("<li>") == 9  # type: ignore[union-attr]
    assert html.count("intake/step/records/documents/") >= 9  # the list, with its links


def test_save_and_continue_stores_the_files_still_chosen_and_moves_on(
    at_records: Client,
) -> None:
    """
    GIVEN a patient on the records step without JavaScript
    WHEN they pick a photo and press "Save and continue" without uploading first
    THEN the photo is stored with the draft and they are on the next step
    """
    response = at_records.post(
        RECORDS_URL,
        {"doc_type": "xray", "files": [upload("knee.jpg", jpeg_bytes())], "nav": "next"},
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/intake/step/plans/"
    doc = CaseDocument.objects.get()
    assert (doc.original_name, doc.doc_type, doc.channel) == ("knee.jpg", "xray", "wizard")
    assert Case.objects.get().draft_step == "plans"


def test_a_photo_taken_with_the_camera_goes_with_save_and_continue_too(
    at_records: Client,
) -> None:
    response = at_records.post(
        RECORDS_URL, {"photos": upload("image.jpg", jpeg_bytes()), "nav": "next"}
    )
    assert response.status_code == 302 and response["Location"] == "/intake/step/plans/"
    # Not saying what a file is never costs the file: staff see it as "other".
    assert CaseDocument.objects.get().doc_type == "other"


def test_save_and_continue_with_a_bad_file_keeps_the_good_ones_and_stays_to_say_which(
    at_records: Client,
) -> None:
    files = [upload("letter.pdf", pdf_bytes()), upload(BAD_NAME, BAD_BYTES)]
    response = at_records.post(
        RECORDS_URL, {"doc_type": "record", "files": files, "nav": "next"}, follow=True
    )
    assert response.redirect_chain[-1][0] == RECORDS_URL
    html = response.content.decode()
    assert f"“{BAD_NAME}” was not uploaded" in html
    assert "1 file uploaded." in html
    assert list(CaseDocument.objects.values_list("original_name", flat=True)) == ["letter.pdf"]
    # the step was not passed: the patient sees the refusal before moving on
    assert Case.objects.get().draft_step == "records"


def test_save_and_continue_without_files_still_asks_for_a_document_or_the_later_box(
    at_records: Client,
) -> None:
    response = at_records.post(RECORDS_URL, {"nav": "next"})
    assert response.status_code == 400
    assert 'id="id_records_later_error"' in response.content.decode()
    assert post_step(at_records, "records", {"records_later": "on"})["Location"].endswith("/plans/")


def test_a_file_over_the_per_file_cap_is_refused_by_name_and_the_rest_are_kept(
    draft_client: Client, settings: Any, private_media_root: Path
) -> None:
    settings.INTAKE_MAX_FILE_BYTES = 64 * 1024
    big = pdf_bytes() + b"%" + b"x" * (200 * 1024) + b"\n"
    files = [upload("big.pdf", big), upload("small.jpg", jpeg_bytes())]
    response = draft_client.post(UPLOAD_URL, {"doc_type": "record", "files": files}, headers=XHR)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["name"] for r in body["refused"]] == ["big.pdf"]
    assert "larger than" in body["refused"][0]["reason"]
    assert list(CaseDocument.objects.values_list("original_name", flat=True)) == ["small.jpg"]
    assert len(_files_on_disk(private_media_root)) == 1


def test_files_past_what_the_case_has_left_are_refused_by_name_in_order(
    draft_client: Client, settings: Any
) -> None:
    one = dicom_bytes(pixels=64)
    first = draft_client.post(
        UPLOAD_URL, {"doc_type": "mri", "files": [upload("IM0", one)]}, headers=XHR
    )
    assert first.status_code == 200
    # Room for two more of the three: the batch itself is within the case's whole cap.
    settings.INTAKE_MAX_CASE_BYTES = int(len(one) * 3.5)
    files = [upload(f"IM{i}", dicom_bytes(pixels=64)) for i in range(1, 4)]
    response = draft_client.post(UPLOAD_URL, {"doc_type": "mri", "files": files}, headers=XHR)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [d["name"] for d in body["stored"]] == ["IM1", "IM2"]
    assert [r["name"] for r in body["refused"]] == ["IM3"]
    assert "limit" in body["refused"][0]["reason"]
    assert sum(CaseDocument.objects.values_list("size", flat=True)) <= len(one) * 3.5


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_never_take_a_case_past_its_cap(
    knee: Any, settings: Any, private_media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    GIVEN a draft with room for one more file
    WHEN two requests each bring one file and both pass the early size check together
    THEN the row lock lets exactly one in; the other is refused by name and its bytes deleted
    """
    from intake.services import documents as documents_service

    client = Client()
    post_step(client, "about", step_answers(knee)["about"])
    case = Case.objects.get()
    data = dicom_bytes(pixels=64)
    settings.INTAKE_MAX_CASE_BYTES = int(len(data) * 1.5)
    both_checked = threading.Barrier(2, timeout=20)
    sanitize = documents_service.sanitize_upload

    def sanitize_then_wait(*args: Any, **kwargs: Any) -> Any:
        result = sanitize(*args, **kwargs)
        both_checked.wait()  # both batches are past the early check before either inserts
        return result

    monkeypatch.setattr(documents_service, "sanitize_upload", sanitize_then_wait)
    outcomes: dict[str, services.UploadOutcome] = {}
    errors: list[BaseException] = []

    def send(name: str) -> None:
        try:
            outcomes[name] = services.case_documents_add(
                case=case, uploads=[(upload(name, data), "mri")], channel=UploadChannel.WIZARD
            )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in ("IM-A", "IM-B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    stored = [n for n, o in outcomes.items() if o.stored]
    refused = [r for o in outcomes.values() for r in o.refused]
    assert len(stored) == 1 and len(refused) == 1
    assert refused[0].name in {"IM-A", "IM-B"} and refused[0].name not in stored
    assert refused[0].code == "case_cap"
    assert CaseDocument.objects.count() == 1
    assert len(_files_on_disk(private_media_root)) == 1


def test_the_case_page_more_uploads_keeps_the_good_files_and_names_the_refused_one(
    alice_case: Case, case_client: Callable[[Case], Client]
) -> None:
    browser = case_client(alice_case)
    before = alice_case.documents.count()
    response = browser.post(
        f"/intake/case/{alice_case.reference}/upload/",
        {
            "doc_type": "xray",
            "files": [upload("knee.jpg", jpeg_bytes()), upload(BAD_NAME, BAD_BYTES)],
        },
        follow=True,
    )
    html = response.content.decode()
    assert f"“{BAD_NAME}” was not uploaded" in html and "1 file uploaded." in html
    assert alice_case.documents.count() == before + 1
    assert alice_case.documents.filter(original_name="knee.jpg", channel="case_page").exists()


def test_the_case_page_htmx_upload_answers_with_its_document_list(
    alice_case: Case, case_client: Callable[[Case], Client]
) -> None:
    response = case_client(alice_case).post(
        f"/intake/case/{alice_case.reference}/upload/",
        {"files": [upload(BAD_NAME, BAD_BYTES), upload("knee.jpg", jpeg_bytes())]},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="case-documents">')
    assert BAD_NAME in re.search(r'id="refused-list">(.*?)</ul>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "alice-knee-mri.pdf" in html and "knee.jpg" in html


def test_an_htmx_upload_to_another_patients_case_is_refused_and_shows_nothing_of_it(
    alice_case: Case, bob_case: Case, case_client: Callable[[Case], Client]
) -> None:
    before = bob_case.documents.count()
    response = case_client(alice_case).post(
        f"/intake/case/{bob_case.reference}/upload/",
        {"doc_type": "xray", "files": [upload("knee.jpg", jpeg_bytes())]},
        headers=HTMX,
    )
    assert response.status_code == 404
    assert "bob-letter.pdf" not in response.content.decode()
    assert bob_case.documents.count() == before


def test_refusals_are_audited_by_reason_never_by_file_name(draft_client: Client) -> None:
    draft_client.post(
        UPLOAD_URL,
        {
            "doc_type": "record",
            "files": [upload("a.pdf", pdf_bytes()), upload(BAD_NAME, BAD_BYTES)],
        },
        headers=XHR,
    )
    event = AuditEvent.objects.get(action="case.documents_added")
    assert len(event.data["documents"]) == 1 and len(event.data["refused"]) == 1
    assert BAD_NAME not in str(event.data)

    draft_client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload(BAD_NAME, BAD_BYTES)]}, headers=XHR
    )
    refused_only = AuditEvent.objects.get(action="case.documents_refused")
    assert refused_only.data["documents"] == [] and BAD_NAME not in str(refused_only.data)


def test_the_records_step_offers_files_and_a_separate_camera_input(at_records: Client) -> None:
    html = at_records.get(RECORDS_URL).content.decode()
    form = re.search(
        r'<form method="post" enctype="multipart/form-data"[^>]*id="records-form"[^>]*>', html
    )
    assert form, "the step's form sends files"
    assert f'hx-post="{UPLOAD_URL}"' in form.group(0)
    picker = re.search(r'<input type="file" name="files"[^>]*>', html).group(0)  # type: ignore[union-attr]
    for kind in (
        "image/jpeg",
        "image/png",
        "image/heic",
        "application/pdf",
        "application/dicom",
        ".dcm",
    ):
        assert kind in picker, kind
    # capture on the main picker would hide the file chooser on phones
    assert "capture" not in picker and "multiple" in picker
    camera = re.search(r'<input type="file" name="photos"[^>]*>', html).group(0)  # type: ignore[union-attr]
    assert 'capture="environment"' in camera and 'accept="image/*"' in camera
    # the answers below the document list belong to the same form
    assert re.search(r'<input type="checkbox" name="records_later"[^>]*form="records-form"', html)
    assert re.search(r'<button type="submit" name="nav" value="next"[^>]*form="records-form"', html)
