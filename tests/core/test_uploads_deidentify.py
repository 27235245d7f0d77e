"""The de-identified DICOM copy a clinic downloads: no identifiers, same pixels, bounded memory."""

from __future__ import annotations

import io
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db.models.fields.files import FieldFile
from pydicom import dcmread
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEGBaseline8Bit

from core.uploads import DeidentificationFailed, deidentified_dicom

from .deid_samples import UID_KEY, stored
from .upload_samples import SECRETS, dicom_stream, identified_dicom


def deidentify(fieldfile: FieldFile) -> bytes:
    copy = deidentified_dicom(fieldfile, uid_key=UID_KEY)
    try:
        return copy.read()
    finally:
        copy.close()


def test_the_copy_has_no_identifiers_or_private_tags_but_keeps_what_a_clinic_needs(
    tmp_path: Path,
) -> None:
    original = identified_dicom()

    copy = deidentify(stored(tmp_path, original))

    for secret in [*SECRETS, b"Wilson^James"]:
        assert secret not in copy
    ds = dcmread(io.BytesIO(copy), force=False)
    for keyword in (
        "PatientName",
        "PatientBirthDate",
        "ReferringPhysicianName",
        "AccessionNumber",
        "StudyID",
    ):
        assert keyword in ds and not ds[keyword].value  # kept, empty (PS3.15 action Z)
    assert ds.PatientID == "ANONYMIZED"  # Z/D: a dummy stays valid where the ID is type 1
    for keyword in (
        "PatientAddress",
        "PatientTelephoneNumbers",
        "OtherPatientIDs",
        "OtherPatientNames",
        "PatientMotherBirthName",
        "InstitutionAddress",
    ):
        assert keyword not in ds  # removed (action X)
    assert ds.InstitutionName == "ANONYMIZED"  # X/Z/D: a dummy stays valid in every IOD
    assert "RequestAttributesSequence" not in ds  # X: the whole request goes, names and all
    assert not any(element.tag.is_private for element in ds.iterall())
    assert ds.PatientIdentityRemoved == "YES"
    assert ds.DeidentificationMethod
    source = dcmread(io.BytesIO(original))
    assert (ds.PatientSex, ds.PatientAge, ds.Modality, ds.BodyPartExamined, ds.StudyDate) == (
        "F",
        "061Y",
        "MR",
        "KNEE",
        "20240301",
    )
    assert ds.PixelData == source.PixelData
    assert ds.SOPInstanceUID != source.SOPInstanceUID  # U: replaced, see test_uploads_deid_profile
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert copy[:128] == bytes(128) and copy[128:132] == b"DICM"


def test_the_stored_original_is_left_untouched(tmp_path: Path) -> None:
    original = identified_dicom()
    fieldfile = stored(tmp_path, original)

    deidentify(fieldfile)

    assert (tmp_path / "study.dcm").read_bytes() == original


def test_large_native_pixel_data_is_copied_byte_for_byte_through_the_deferred_window(
    tmp_path: Path,
) -> None:
    pixels = os.urandom(3 * 1024 * 1024)  # over the 1 MB defer size
    for syntax in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):
        original = identified_dicom(pixel_data=pixels, transfer_syntax=syntax)
        copy = deidentify(stored(tmp_path, original, name=f"{syntax}.dcm"))
        ds = dcmread(io.BytesIO(copy))
        assert ds.PixelData == pixels
        assert ds.file_meta.TransferSyntaxUID == syntax
        assert b"Doe^Jane" not in copy


def test_large_encapsulated_pixel_data_keeps_its_fragments(tmp_path: Path) -> None:
    frames = [os.urandom(700 * 1024), os.urandom(900 * 1024)]  # together over the defer size
    encapsulated = encapsulate(frames, has_bot=True)
    original = identified_dicom(pixel_data=encapsulated, transfer_syntax=JPEGBaseline8Bit)

    copy = deidentify(stored(tmp_path, original))

    ds = dcmread(io.BytesIO(copy))
    assert ds.PixelData == dcmread(io.BytesIO(original)).PixelData == encapsulated
    assert b"Doe^Jane" not in copy and b"VENDOR SECRET NAME" not in copy


def test_a_damaged_file_is_refused_and_never_passed_through(tmp_path: Path) -> None:
    with pytest.raises(DeidentificationFailed) as refused:
        deidentified_dicom(
            stored(tmp_path, b"\x00" * 128 + b"NOPE" + b"Doe^Jane" * 50), uid_key=UID_KEY
        )
    assert "concierge" in str(refused.value.message)
    cut_in_the_pixels = identified_dicom(pixel_data=bytes(2 * 1024 * 1024))[:-1024]
    with pytest.raises(DeidentificationFailed):
        deidentified_dicom(stored(tmp_path, cut_in_the_pixels, name="cut.dcm"), uid_key=UID_KEY)


def test_a_file_cut_short_in_its_header_still_leaves_nothing_identifying(tmp_path: Path) -> None:
    original = identified_dicom()
    cut = original[: original.index(b"Hospital Santa Rosa") + 5]

    copy = deidentify(stored(tmp_path, cut))

    assert b"Doe^Jane" not in copy and b"Hospi" not in copy
    assert dcmread(io.BytesIO(copy)).PatientIdentityRemoved == "YES"


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        deidentified_dicom(stored(tmp_path, name="gone.dcm"), uid_key=UID_KEY)


@pytest.mark.services
def test_a_200_mb_dicom_is_deidentified_with_memory_bounded(
    tmp_path: Path, figure: Callable[..., None]
) -> None:
    total, chunks = dicom_stream(200 * 1024 * 1024)
    path = tmp_path / "big.dcm"
    with path.open("wb") as fh:
        for chunk in chunks:
            fh.write(chunk)

    tracemalloc.start()
    try:
        copy = deidentified_dicom(stored(tmp_path, name="big.dcm"), uid_key=UID_KEY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    try:
        size = os.path.getsize(str(copy.name))
        header = dcmread(str(copy.name), stop_before_pixels=True)
    finally:
        copy.close()
    peak_mb = peak / 2**20
    figure("dicom_deidentify_200mb", peak_mb=round(peak_mb, 2), file_mb=round(total / 2**20))
    assert peak_mb < 50
    assert size >= total - 1024  # the pixel data came across whole
    assert header.PatientIdentityRemoved == "YES"
    assert not header.PatientName
