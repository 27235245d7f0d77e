"""Private files on S3-compatible storage, against moto's server on 127.0.0.1.

The portal's code is unchanged between disk and bucket: the same services
store, the same authorising views hand out, the same sweeps delete. What the
bucket adds is checked here: objects are private and encrypted, nothing lands
on local disk, a download is a redirect to a presigned GET that only the
authorised reader ever sees, and the link dies after ``PRIVATE_MEDIA_URL_SECONDS``.
"""

from __future__ import annotations

import datetime
import io
import tracemalloc
import urllib.error
import urllib.request
import zipfile
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinics.services import credential_upload
from core.storage import PrivateS3Storage
from intake.models import Case, CaseDocument
from intake.services import drafts_purge
from intake.services.archives import study_archive_request
from intake.tasks import files_study_archive_build
from tests.intake.factories import make_condition, make_document, make_draft
from tests.intake.files import pdf_bytes, upload
from tests.intake.imaging_samples import SECRETS, mr_series
from tests.intake.staff_factories import PDF_BYTES, shared_case
from tests.intake.wizard_data import post_step, step_answers

from .conftest import SECRET_KEY, Bucket, use_storage_options
from .presigned import signed_url_valid_at

pytestmark = [pytest.mark.django_db, pytest.mark.s3]

UPLOAD_URL = "/intake/step/records/upload/"
XHR = {"X-Requested-With": "XMLHttpRequest"}


def _fetch(url: str) -> tuple[int, Message, bytes]:
    """GET ``url`` like a browser would: no credentials of ours, only what is in the URL."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our moto
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read()


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _assert_plain_404(response: Any) -> None:
    assert response.status_code == 404
    assert "Location" not in response
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"X-Amz-" not in body and b"%PDF" not in body


# --- Uploads ------------------------------------------------------------------------------
def test_an_intake_upload_lands_in_the_bucket_encrypted_private_and_never_on_local_disk(
    client: Client, s3_bucket: Bucket, private_media_root: Path
) -> None:
    """GIVEN the portal on S3 storage
    WHEN a patient uploads a PDF in the intake wizard
    THEN the sanitised file is one object in the bucket, server-side encrypted, readable by
    the bucket's owner only (an unsigned GET is refused), and nothing is left on local disk."""
    knee = make_condition(name="Knee osteoarthritis", slug="knee-oa", category="orthopedic")
    post_step(client, "about", step_answers(knee)["about"])

    response = client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload("scan.pdf", pdf_bytes())]}, headers=XHR
    )

    assert response.status_code == 200
    document = CaseDocument.objects.get()
    assert s3_bucket.keys() == [document.file.name]
    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=document.file.name)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == document.size
    grants = s3_bucket.client.get_object_acl(Bucket=s3_bucket.name, Key=document.file.name)
    assert [(g["Grantee"]["Type"], g["Permission"]) for g in grants["Grants"]] == [
        ("CanonicalUser", "FULL_CONTROL")
    ]
    status, _headers, body = _fetch(
        f"{s3_bucket.server.endpoint}/{s3_bucket.name}/{document.file.name}"
    )
    assert status == 403 and b"%PDF" not in body
    assert _files_under(private_media_root) == []


def test_an_upload_streams_to_the_bucket_in_parts_with_memory_bounded(
    s3_bucket: Bucket, settings: Any, tmp_path: Path, figure: Any
) -> None:
    """Files go up in 5 MiB parts, two at a time: Python's peak (tracemalloc counts every
    thread) is the same for 24 MiB and 48 MiB, a few parts' worth, whatever the size."""
    use_storage_options(settings, s3_bucket, part_bytes=5 * 1024 * 1024, max_concurrency=2)
    default_storage.exists("warm-up")  # the client and its service model load outside the count
    peaks: dict[int, float] = {}
    for megabytes in (24, 48):
        source = tmp_path / f"{megabytes}.dcm"
        with source.open("wb") as out:
            for _ in range(megabytes):
                out.write(b"\x5a" * (1024 * 1024))
        tracemalloc.start()
        try:
            with source.open("rb") as handle:
                name = default_storage.save(f"intake/{megabytes}.dcm", File(handle))
            peaks[megabytes] = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        finally:
            tracemalloc.stop()
        head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=name)
        assert head["ContentLength"] == megabytes * 1024 * 1024
        assert head["ServerSideEncryption"] == "AES256"

    figure(
        "s3.upload",
        small_mb=24,
        large_mb=48,
        part_mb=5,
        peak_small_mb=round(peaks[24], 1),
        peak_large_mb=round(peaks[48], 1),
    )
    assert peaks[48] < 5 * 5, f"a 48 MiB upload held {peaks[48]:.1f} MiB"
    assert peaks[48] < peaks[24] + 2, "memory grew with the file: the upload is not streaming"


# --- Downloads: authorise, then a short-lived signed URL ----------------------------------
def test_the_owner_is_redirected_to_a_short_lived_signed_url_and_a_stranger_gets_a_plain_404(
    client: Client, s3_bucket: Bucket
) -> None:
    """GIVEN a draft's PDF in the bucket
    WHEN its owner asks for it, THEN the view answers with a redirect to a presigned GET that
    lives PRIVATE_MEDIA_URL_SECONDS and downloads the file as a named attachment;
    WHEN another visitor asks for the same document, THEN a 404 with no link and no data."""
    knee = make_condition(name="Knee osteoarthritis", slug="knee-oa", category="orthopedic")
    post_step(client, "about", step_answers(knee)["about"])
    client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload("a.pdf", pdf_bytes())]}, headers=XHR
    )
    document = CaseDocument.objects.get()
    url = f"/intake/step/records/documents/{document.pk}/"

    response = client.get(url)

    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    location = response["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{s3_bucket.server.endpoint}/{s3_bucket.name}/")
    assert query["X-Amz-Expires"] == ["60"]
    status, headers, body = _fetch(location)
    assert status == 200
    assert body == document.file.open("rb").read()
    assert headers["Content-Disposition"] == f'attachment; filename="{document.download_name}"'
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Cache-Control"] == "private, no-store"

    stranger = Client()
    post_step(stranger, "about", {**step_answers(knee)["about"], "email": "eve@x.example"})
    _assert_plain_404(stranger.get(url))


def test_a_signed_url_stops_working_when_its_lifetime_is_over(
    client: Client, s3_bucket: Bucket, settings: Any
) -> None:
    """moto serves a presigned URL at any age, so S3's own rule is applied here: the
    signature must verify with the bucket's secret over the URL's X-Amz-Date and
    X-Amz-Expires, and the time must be before their sum. Lifetime: 1 s."""
    use_storage_options(settings, s3_bucket, signed_url_seconds=1)
    document = make_document(case=make_draft())
    storage = document.file.storage
    assert isinstance(storage, PrivateS3Storage)
    signed = storage.signed_download_url(
        str(document.file.name), download_name="a.pdf", content_type="application/pdf"
    )

    now = timezone.now()
    assert signed_url_valid_at(signed, at=now, secret_key=SECRET_KEY)
    assert _fetch(signed)[0] == 200
    later = now + datetime.timedelta(seconds=2)
    assert not signed_url_valid_at(signed, at=later, secret_key=SECRET_KEY)
    stretched = signed.replace("X-Amz-Expires=1", "X-Amz-Expires=3600")
    assert not signed_url_valid_at(stretched, at=now, secret_key=SECRET_KEY)


def test_clinic_staff_get_their_own_credential_document_and_never_another_clinics(
    client: Client, personas: Any, s3_bucket: Bucket
) -> None:
    """Cross-tenant: clinic B's staff get the same 404 for clinic A's document as for an
    unknown id, with no signed URL in it; clinic A's staff are redirected to the file."""
    credential = credential_upload(
        clinic=personas.clinic_a,
        kind="medical_licence",
        issuer="COFEPRIS",
        number="L-1",
        issued_on=datetime.date(2026, 1, 5),
        expires_on=datetime.date(2028, 1, 5),
        uploaded_file=SimpleUploadedFile("licence.pdf", pdf_bytes("Licence"), "application/pdf"),
        acting_user=personas.clinic_a_staff,
    )
    assert s3_bucket.keys() == [credential.document.name]
    url = reverse("portal:credential_document", args=[credential.pk])

    client.force_login(personas.clinic_b_staff)
    _assert_plain_404(client.get(url))
    _assert_plain_404(client.get(reverse("portal:credential_document", args=[credential.pk + 99])))

    client.force_login(personas.clinic_a_staff)
    response = client.get(url)
    assert response.status_code == 302
    status, _headers, body = _fetch(response["Location"])
    assert status == 200 and body.startswith(b"%PDF")


def test_a_shared_case_reaches_only_its_clinic_from_the_bucket_dicom_deidentified(
    client: Client, personas: Any, s3_bucket: Bucket
) -> None:
    """GIVEN a case shared with clinic A, its DICOM and PDF in the bucket
    THEN clinic A gets the PDF through a signed URL and the DICOM de-identified, streamed
    from the bucket by the view (the original never leaves); clinic B gets 404s."""
    case = shared_case(personas.clinic_a)
    dicom = case.documents.get(kind="dicom")
    pdf = case.documents.get(kind="pdf")
    assert sorted(s3_bucket.keys()) == sorted([str(dicom.file.name), str(pdf.file.name)])

    def url(document: CaseDocument) -> str:
        return reverse("portal_cases:document", args=[case.reference, document.pk])

    client.force_login(personas.clinic_b_staff)
    _assert_plain_404(client.get(url(pdf)))
    _assert_plain_404(client.get(url(dicom)))

    client.force_login(personas.clinic_a_staff)
    response = client.get(url(pdf))
    assert response.status_code == 302 and _fetch(response["Location"])[2] == PDF_BYTES
    response = client.get(url(dicom))
    assert response.status_code == 200 and "Location" not in response
    copy = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert copy[128:132] == b"DICM"
    assert not any(secret in copy for secret in SECRETS)


def test_a_clinics_imaging_zip_is_built_from_the_bucket_into_the_bucket(
    client: Client, personas: Any, s3_bucket: Bucket
) -> None:
    """The files task reads each DICOM from the bucket, writes the zip back to it, and the
    clinic downloads it through a signed URL; the other clinic gets a 404."""
    case = shared_case(personas.clinic_a)
    case.documents.filter(kind="dicom").delete()
    images, _uid = mr_series(case)
    archive = study_archive_request(
        case=case, clinic=personas.clinic_a, acting_user=personas.clinic_a_staff
    )
    files_study_archive_build(archive.pk)
    archive.refresh_from_db()
    assert str(archive.file.name) in s3_bucket.keys()  # noqa: SIM118 - a list
    url = reverse("portal_cases:study_archive_download", args=[case.reference, archive.pk])

    client.force_login(personas.clinic_b_staff)
    _assert_plain_404(client.get(url))
    client.force_login(personas.clinic_a_staff)
    response = client.get(url)

    assert response.status_code == 302
    status, headers, body = _fetch(response["Location"])
    assert status == 200
    assert headers["Content-Disposition"] == (
        f'attachment; filename="{case.reference}-imaging.zip"'
    )
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert sorted(n for n in names if n.endswith(".dcm")) == sorted(
        f"{case.reference}/{d.download_name}" for d in images
    )


# --- Deletion -------------------------------------------------------------------------------
def test_the_retention_sweep_deletes_an_idle_drafts_objects_from_the_bucket(
    s3_bucket: Bucket, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN an idle draft with a document in the bucket and a recent draft with one
    WHEN the retention sweep runs, THEN only the idle draft's object is gone, after commit."""
    idle = make_draft()
    idle_doc = make_document(case=idle)
    kept_doc = make_document(case=make_draft())
    Case.objects.filter(pk=idle.pk).update(updated_at=timezone.now() - datetime.timedelta(days=31))
    CaseDocument.objects.filter(case=idle).update(
        uploaded_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert sorted(s3_bucket.keys()) == sorted([str(idle_doc.file.name), str(kept_doc.file.name)])

    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_purge() == 1
        assert str(idle_doc.file.name) in s3_bucket.keys(), "it outlives its row until commit"  # noqa: SIM118

    assert s3_bucket.keys() == [kept_doc.file.name]


def test_a_draft_document_removed_by_its_patient_is_deleted_from_the_bucket(
    client: Client, s3_bucket: Bucket, django_capture_on_commit_callbacks: Any
) -> None:
    knee = make_condition(name="Knee osteoarthritis", slug="knee-oa", category="orthopedic")
    post_step(client, "about", step_answers(knee)["about"])
    client.post(
        UPLOAD_URL, {"doc_type": "record", "files": [upload("a.pdf", pdf_bytes())]}, headers=XHR
    )
    document = CaseDocument.objects.get()
    assert s3_bucket.keys() == [document.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/intake/step/records/documents/{document.pk}/remove/")

    assert s3_bucket.keys() == []
