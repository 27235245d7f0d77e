"""Prepared downloads: the imaging zip and the patient's export share one model base and one build.

The kinds differ only in what they write and count; a failure anywhere in the
shared build marks the row failed and leaves no file (shown with the export: the imaging
zip runs the same code).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import IO, Any

import pytest

from core.models import AuditEvent
from intake.models import (
    Case,
    DataExport,
    DownloadStatus,
    PreparedDownload,
    StudyArchive,
)
from intake.services.data_export import EXPORT, data_export_request
from intake.services.downloads import download_build
from intake.services.export_content import ExportContents, write_export_zip

pytestmark = pytest.mark.django_db


@pytest.fixture
def export(alice_case: Case, django_capture_on_commit_callbacks: Any) -> DataExport:
    """Alice's export, requested (its build not run)."""
    with django_capture_on_commit_callbacks(execute=False):
        return data_export_request(case=alice_case)


@pytest.fixture
def temp_dir(settings: Any, tmp_path: Path) -> Path:
    """Where the build writes its temp zip: empty again once the build is over."""
    folder = tmp_path / "uploads-temp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def _zips(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*.zip")]


def test_it_keeps_each_tables_constraint_names() -> None:
    for model, requested in ((StudyArchive, "created"), (DataExport, "requested")):
        prefix = f"intake_{model._meta.model_name}"
        assert issubclass(model, PreparedDownload)
        assert {c.name for c in model._meta.constraints} == {
            f"{prefix}_status_valid",
            f"{prefix}_ready_has_file",
            f"{prefix}_expires_after_{requested}",
            f"{prefix}_one_in_progress",
        }


def test_it_marks_a_build_failed_and_keeps_no_file_when_the_zip_cannot_be_written(
    export: DataExport, private_media_root: Path, temp_dir: Path
) -> None:
    """
    GIVEN a requested export
    WHEN writing its zip fails half-way
    THEN the export is failed (audited, so staff can see it), and no zip is left anywhere
    """

    def half_then_fail(download: DataExport, out: IO[bytes]) -> ExportContents:
        out.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    assert download_build(dataclasses.replace(EXPORT, write=half_then_fail), export.pk) is None
    export.refresh_from_db()
    assert (export.status, export.failure, export.file.name) == (
        DownloadStatus.FAILED,
        "build_error",
        "",
    )
    failed = AuditEvent.objects.get(action="intake.data_export_failed")
    assert failed.data == {"export_id": export.pk, "failure": "build_error"}
    assert _zips(private_media_root, temp_dir) == []


def test_it_deletes_the_file_of_a_download_swept_while_it_was_built(
    export: DataExport, private_media_root: Path, temp_dir: Path
) -> None:
    """
    GIVEN a requested export
    WHEN the retention sweep (or an erasure) deletes its row while the zip is written
    THEN the finished zip is deleted from storage too, and nothing is marked ready
    """

    def swept_meanwhile(download: DataExport, out: IO[bytes]) -> ExportContents:
        contents = write_export_zip(download, out)
        DataExport.objects.filter(pk=download.pk).delete()
        return contents

    assert download_build(dataclasses.replace(EXPORT, write=swept_meanwhile), export.pk) is None
    assert not DataExport.objects.exists()
    assert not AuditEvent.objects.filter(action="intake.data_export_built").exists()
    assert _zips(private_media_root, temp_dir) == []
