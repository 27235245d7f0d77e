"""A sanitized upload gets its name in private storage by a link, not a second copy, and
nothing is left in the temporary folder however the save goes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.uploadedfile import TemporaryUploadedFile

from core.storage import PrivateStorage
from core.uploads import ALL_KINDS, UploadRejected, sanitize_upload

from . import upload_samples as samples
from .upload_samples import accept, reopen

pytestmark = pytest.mark.usefixtures("upload_tmp")


@pytest.fixture
def storage(tmp_path: Path, upload_tmp: Path) -> PrivateStorage:
    # On the temporary folder's file system, as in production (FILE_UPLOAD_TEMP_DIR beside
    # PRIVATE_MEDIA_ROOT).
    return PrivateStorage(location=str(tmp_path / "private"), file_permissions_mode=0o600)


def test_a_sanitized_scan_is_linked_into_storage_with_the_clean_bytes(
    storage: PrivateStorage, upload_tmp: Path
) -> None:
    sanitized = accept(samples.dicom())
    clean = reopen(sanitized)
    name = storage.save("intake/scan.dcm", sanitized.file)
    saved = Path(storage.path(name))
    assert saved.read_bytes() == clean
    assert saved.stat().st_ino == os.fstat(sanitized.file.fileno()).st_ino  # one file, not two
    assert saved.stat().st_mode & 0o777 == 0o600
    sanitized.file.close()
    assert saved.read_bytes() == clean  # the name outlives the handle
    assert list(upload_tmp.iterdir()) == [], "nothing named in the temporary folder"


def test_a_second_file_under_the_same_name_gets_a_name_of_its_own(
    storage: PrivateStorage,
) -> None:
    first = accept(samples.dicom())
    second = accept(samples.png())
    one = storage.save("intake/file", first.file)
    two = storage.save("intake/file", second.file)
    assert one != two
    assert Path(storage.path(two)).read_bytes() == reopen(second)
    assert Path(storage.path(one)).read_bytes() == reopen(first)


def test_a_file_that_cannot_be_linked_is_copied(storage: PrivateStorage, upload_tmp: Path) -> None:
    # tempfile's own nameless files carry O_EXCL: the kernel refuses to link them.
    with tempfile.TemporaryFile(dir=upload_tmp) as plain:
        plain.write(b"%PDF-1.7 not really")
        plain.seek(0)
        name = storage.save("intake/plain.pdf", File(plain))
        saved = Path(storage.path(name))
        assert saved.read_bytes() == b"%PDF-1.7 not really"
        assert saved.stat().st_ino != os.fstat(plain.fileno()).st_ino
    assert list(upload_tmp.iterdir()) == []


def test_an_ordinary_upload_is_saved_as_django_saves_it(storage: PrivateStorage) -> None:
    name = storage.save("intake/upload.bin", samples.upload(b"bytes from a browser"))
    assert Path(storage.path(name)).read_bytes() == b"bytes from a browser"


def uploaded_to_disk(data: bytes, name: str = "knee.dcm") -> TemporaryUploadedFile:
    """What the upload handler hands the view: the file in FILE_UPLOAD_TEMP_DIR."""
    uploaded = TemporaryUploadedFile(name, "application/dicom", len(data), None)
    uploaded.write(data)
    uploaded.flush()
    uploaded.seek(0)
    return uploaded


def test_a_scan_in_the_uploads_own_file_is_cleaned_where_it_lies_and_moved_into_storage(
    storage: PrivateStorage, upload_tmp: Path
) -> None:
    data = samples.dicom(preamble=b"MZ\x90\x00<script>" + bytes(110))
    uploaded = uploaded_to_disk(data)
    sanitized = sanitize_upload(uploaded, allowed=ALL_KINDS, max_bytes=10**8)
    assert sanitized.file is uploaded  # no second copy of the scan
    name = storage.save("intake/scan.dcm", sanitized.file)
    stored = Path(storage.path(name)).read_bytes()
    assert stored[:128] == bytes(128), "the preamble is zeroed"
    assert stored[128:] == data[128:]
    assert sanitized.sha256 == hashlib.sha256(stored).hexdigest()
    assert sanitized.size == len(stored)
    assert sanitized.metadata["modality"] == "MR"
    sanitized.file.close()  # as the request's end does: the file was moved, nothing to delete
    assert list(upload_tmp.iterdir()) == []


def test_a_damaged_scan_in_the_uploads_own_file_is_refused_and_leaves_nothing(
    upload_tmp: Path,
) -> None:
    data = samples.dicom()
    uploaded = uploaded_to_disk(data[:132] + b"not a data set at all" * 10)
    with pytest.raises(UploadRejected) as caught:
        sanitize_upload(uploaded, allowed=ALL_KINDS, max_bytes=10**8)
    assert caught.value.code == "dicom_damaged"
    uploaded.close()
    assert list(upload_tmp.iterdir()) == []
