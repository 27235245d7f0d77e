"""A clinic downloads a shared case's imaging as one zip of de-identified DICOM files."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pydicom import dcmread

from core.exceptions import DomainError
from core.models import AuditEvent
from intake.models import ClinicShare, StudyArchive, StudyArchiveStatus
from intake.services.archives import study_archive_request
from intake.services.retention import study_archives_purge
from intake.tasks import files_study_archive_build
from tests.core.upload_samples import dicom_stream

from .imaging_samples import SECRETS, mr_series, stored_dicom, ultrasound
from .staff_factories import ClinicShareFactory, shared_case

pytestmark = pytest.mark.django_db
TASK = "intake.tasks.files_study_archive_build"


@pytest.fixture
def study(personas: Any) -> dict[str, Any]:
    """A case shared with clinic A: two MR images of one study, an ultrasound and a PDF."""
    case = shared_case(personas.clinic_a)
    case.documents.filter(kind="dicom").delete()  # the factory's MRI has no study UID
    images, study_uid = mr_series(case)
    return {"case": case, "images": images, "ultrasound": ultrasound(case), "uid": study_uid}


def detail(case: Any) -> str:
    return reverse("portal_cases:detail", args=[case.reference])


def request_url(case: Any) -> str:
    return reverse("portal_cases:study_archive_request", args=[case.reference])


def download_url(archive: StudyArchive) -> str:
    return reverse("portal_cases:study_archive_download", args=[archive.case.reference, archive.pk])


def requested(study: dict[str, Any], personas: Any) -> StudyArchive:
    return study_archive_request(
        case=study["case"], clinic=personas.clinic_a, acting_user=personas.clinic_a_staff
    )


def built(study: dict[str, Any], personas: Any) -> StudyArchive:
    archive = requested(study, personas)
    files_study_archive_build(archive.pk)  # the task's body, in-process
    archive.refresh_from_db()
    return archive


def zip_members(archive: StudyArchive) -> dict[str, bytes]:
    with archive.file.open("rb") as fh, zipfile.ZipFile(fh) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


# --- The service ------------------------------------------------------------------------
def test_a_request_is_a_row_an_audit_and_a_files_task_after_commit(
    study: dict[str, Any],
    personas: Any,
    published_tasks: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        archive = requested(study, personas)

    assert archive.status == StudyArchiveStatus.REQUESTED
    assert archive.requested_by == personas.clinic_a_staff and archive.clinic == personas.clinic_a
    assert timedelta(minutes=59) < archive.expires_at - timezone.now() <= timedelta(minutes=60)
    assert len(callbacks) == 1
    assert [(t.name, t.args) for t in published_tasks] == [(TASK, (archive.pk,))]
    event = AuditEvent.objects.get(action="portal.study_archive_requested")
    assert event.data == {
        "reference": study["case"].reference,
        "archive_id": archive.pk,
        "clinic": personas.clinic_a.pk,
    }


def test_asking_again_while_it_is_built_returns_the_same_build(
    study: dict[str, Any], personas: Any, published_tasks: list[Any]
) -> None:
    first = requested(study, personas)

    assert requested(study, personas).pk == first.pk
    assert StudyArchive.objects.count() == 1


def test_a_build_stuck_past_its_expiry_is_failed_and_replaced(
    study: dict[str, Any], personas: Any
) -> None:
    stuck = requested(study, personas)
    StudyArchive.objects.filter(pk=stuck.pk).update(
        status=StudyArchiveStatus.BUILDING,
        expires_at=timezone.now() - timedelta(seconds=1),
        created_at=timezone.now() - timedelta(hours=2),
    )

    fresh = requested(study, personas)

    stuck.refresh_from_db()
    assert fresh.pk != stuck.pk
    assert (stuck.status, stuck.failure) == (StudyArchiveStatus.FAILED, "expired_before_ready")


def test_a_case_without_dicom_cannot_be_zipped(personas: Any) -> None:
    case = shared_case(personas.clinic_a)
    case.documents.filter(kind="dicom").delete()

    with pytest.raises(DomainError, match="no DICOM"):
        study_archive_request(
            case=case, clinic=personas.clinic_a, acting_user=personas.clinic_a_staff
        )


# --- The task ---------------------------------------------------------------------------
def test_the_task_zips_the_deidentified_study_and_lists_what_it_left_out(
    study: dict[str, Any], personas: Any
) -> None:
    """GIVEN a requested zip of two MR images of one study and an ultrasound
    WHEN the files task runs
    THEN the zip holds the two images de-identified (one study UID, the same UIDs as a
    single download), a README naming the ultrasound, which is flagged for staff."""
    archive = built(study, personas)

    assert archive.status == StudyArchiveStatus.READY and archive.ready_at
    assert timedelta(minutes=59) < archive.expires_at - archive.ready_at <= timedelta(minutes=60)
    members = zip_members(archive)
    reference = study["case"].reference
    dicoms = {n: data for n, data in members.items() if n.endswith(".dcm")}
    assert sorted(dicoms) == sorted(f"{reference}/{d.download_name}" for d in study["images"])
    assert (archive.file_count, archive.withheld_ids) == (2, [study["ultrasound"].pk])
    assert archive.size == archive.file.size
    for data in members.values():
        assert not any(secret in data for secret in SECRETS)
    copies = [dcmread(io.BytesIO(data)) for data in dicoms.values()]
    assert len({c.StudyInstanceUID for c in copies}) == 1
    assert copies[0].StudyInstanceUID != study["uid"]
    assert len({c.SOPInstanceUID for c in copies}) == 2
    readme = members[f"{reference}/README.txt"].decode()
    assert study["ultrasound"].download_name in readme
    assert "concierge team has been told" in readme
    study["ultrasound"].refresh_from_db()
    assert study["ultrasound"].clinic_copy_withheld


def test_the_zip_and_the_single_download_give_the_same_uids(
    client: Client, study: dict[str, Any], personas: Any
) -> None:
    archive = built(study, personas)
    image = study["images"][0]
    client.force_login(personas.clinic_a_staff)

    single = client.get(reverse("portal_cases:document", args=[image.case.reference, image.pk]))

    zipped = zip_members(archive)[f"{image.case.reference}/{image.download_name}"]
    one = dcmread(io.BytesIO(b"".join(single.streaming_content)))  # type: ignore[attr-defined]
    assert one.SOPInstanceUID == dcmread(io.BytesIO(zipped)).SOPInstanceUID


def test_a_redelivered_task_finds_the_build_claimed_and_does_nothing(
    study: dict[str, Any], personas: Any
) -> None:
    archive = built(study, personas)
    name = archive.file.name

    files_study_archive_build(archive.pk)

    archive.refresh_from_db()
    assert archive.file.name == name
    assert StudyArchive.objects.count() == 1


def test_a_share_revoked_before_the_build_fails_it_without_a_file(
    study: dict[str, Any], personas: Any
) -> None:
    archive = requested(study, personas)
    ClinicShare.objects.filter(case=study["case"]).update(revoked_at=timezone.now())

    files_study_archive_build(archive.pk)

    archive.refresh_from_db()
    assert (archive.status, archive.failure, archive.file.name) == (
        StudyArchiveStatus.FAILED,
        "no_longer_shared",
        "",
    )


def test_a_large_study_is_zipped_with_memory_bounded(
    personas: Any, figure: Callable[..., None]
) -> None:
    case = shared_case(personas.clinic_a)
    case.documents.filter(kind="dicom").delete()
    for _ in range(2):
        total, chunks = dicom_stream(64 * 1024 * 1024)
        stored_dicom(case, b"".join(chunks))
    archive = study_archive_request(
        case=case, clinic=personas.clinic_a, acting_user=personas.clinic_a_staff
    )

    tracemalloc.start()
    try:
        files_study_archive_build(archive.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    archive.refresh_from_db()
    peak_mb = round(peak / 2**20, 2)
    figure(
        "dicom.study_zip",
        files=archive.file_count,
        study_mb=round(2 * total / 2**20),
        zip_mb=round((archive.size or 0) / 2**20, 1),
        peak_mb=peak_mb,
    )
    assert archive.status == StudyArchiveStatus.READY and archive.file_count == 2
    assert peak_mb < 20


# --- The pages --------------------------------------------------------------------------
def test_the_case_page_offers_the_zip_and_shows_it_ready_with_a_link(
    client: Client,
    study: dict[str, Any],
    personas: Any,
    published_tasks: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """GIVEN clinic staff on a shared case with DICOM imaging
    WHEN they ask for the zip, and the files task has built it
    THEN the page shows it being prepared, then ready with a link that streams the zip."""
    case = study["case"]
    client.force_login(personas.clinic_a_staff)
    assert "Download all imaging as one zip" in client.get(detail(case)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(request_url(case), follow=True)

    assert "The zip is being prepared" in response.content.decode()
    archive = StudyArchive.objects.get()
    assert [t.name for t in published_tasks] == [TASK]
    files_study_archive_build(archive.pk)
    page = client.get(detail(case)).content.decode()
    assert download_url(archive) in page and "Ready: 2 files" in page

    response = client.get(download_url(archive))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"{case.reference}-imaging.zip" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    event = AuditEvent.objects.get(action="portal.study_archive_downloaded")
    assert event.actor == personas.clinic_a_staff and event.data["archive_id"] == archive.pk


def test_another_clinic_gets_404s_with_nothing_of_the_case(
    client: Client, study: dict[str, Any], personas: Any
) -> None:
    archive = built(study, personas)
    client.force_login(personas.clinic_b_staff)

    for response in (client.get(download_url(archive)), client.post(request_url(archive.case))):
        assert response.status_code == 404
        assert archive.case.reference.encode() not in response.content
        assert b"PK\x03\x04" not in response.content
    assert StudyArchive.objects.count() == 1
    assert not AuditEvent.objects.filter(action="portal.study_archive_downloaded").exists()


def test_a_zip_made_for_one_clinic_is_not_anothers_even_with_a_share(
    client: Client, study: dict[str, Any], personas: Any
) -> None:
    archive = built(study, personas)
    ClinicShareFactory.create(case=archive.case, clinic=personas.clinic_b)
    client.force_login(personas.clinic_b_staff)

    assert client.get(download_url(archive)).status_code == 404
    assert download_url(archive) not in client.get(detail(archive.case)).content.decode()


def test_a_revoked_share_ends_the_download_at_once(
    client: Client, study: dict[str, Any], personas: Any
) -> None:
    archive = built(study, personas)
    ClinicShare.objects.filter(case=archive.case).update(revoked_at=timezone.now())
    client.force_login(personas.clinic_a_staff)

    assert client.get(download_url(archive)).status_code == 404


# --- Expiry -----------------------------------------------------------------------------
def test_an_expired_zip_is_a_404_and_the_page_offers_a_new_one(
    client: Client, study: dict[str, Any], personas: Any
) -> None:
    archive = built(study, personas)
    StudyArchive.objects.filter(pk=archive.pk).update(expires_at=timezone.now())
    client.force_login(personas.clinic_a_staff)

    assert client.get(download_url(archive)).status_code == 404
    page = client.get(detail(archive.case)).content.decode()
    assert "The last zip has expired" in page and "Download all imaging as one zip" in page


def test_the_retention_sweep_deletes_expired_zips_and_their_files(
    study: dict[str, Any], personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    old = built(study, personas)
    StudyArchive.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    fresh = StudyArchive.objects.create(
        case=old.case,
        clinic=personas.clinic_a,
        expires_at=timezone.now() + timedelta(hours=1),
        status=StudyArchiveStatus.READY,
        ready_at=timezone.now(),
        file=ContentFile(b"PK", name="archives/fresh.zip"),
    )
    storage, old_name = old.file.storage, old.file.name

    with django_capture_on_commit_callbacks(execute=True):
        assert study_archives_purge() == 1

    assert list(StudyArchive.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not storage.exists(str(old_name)) and storage.exists(str(fresh.file.name))
    event = AuditEvent.objects.get(action="intake.study_archives_purged")
    assert event.data == {"count": 1, "archive_ids": [old.pk], "files": 1}
