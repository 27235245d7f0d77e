"""The whole PS3.15 Basic Profile on the streaming path: nothing identifying leaves, ever."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from dicomanonymizer.dicomfields_selector import dicom_anonymization_database_selector
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import (
    MRImageStorage,
    SecondaryCaptureImageStorage,
    UltrasoundImageStorage,
    generate_uid,
)

from core.uploads import DeidentificationWithheld, deidentified_dicom
from core.uploads.deid_profile import TABLE_ACTIONS, TABLE_REPEATERS, UidMap, effective_action

from .deid_samples import (
    TABLE,
    UID_KEY,
    leaks_in,
    lenient_pydicom,
    small_dicom,
    stored,
    write_marker_study,
)


def deidentify_to(tmp_path: Path, fieldfile: object, *, key: bytes = UID_KEY) -> Path:
    copy = deidentified_dicom(fieldfile, uid_key=key)  # type: ignore[arg-type]
    out = tmp_path / f"out-{os.urandom(4).hex()}.dcm"
    try:
        with out.open("wb") as fh:
            while chunk := copy.read(1024 * 1024):
                fh.write(chunk)
    finally:
        copy.close()
    return out


def test_the_action_table_is_the_librarys_not_ours() -> None:
    library = dicom_anonymization_database_selector(TABLE)
    assert len(TABLE_ACTIONS) + len(TABLE_REPEATERS) == len(library["ALL_TAGS"])
    # The nine attributes a review found intact in the hand-picked subset.
    for keyword in (
        "StudyDescription",
        "SeriesDescription",
        "ImageComments",
        "AdditionalPatientHistory",
        "ConsultingPhysicianName",
        "ProtocolName",
        "DeviceSerialNumber",
        "RequestedProcedureDescription",
        "PerformedProcedureStepDescription",
    ):
        assert effective_action(Tag(keyword), None) in {"X", "Z", "D"}


def test_no_marker_survives_in_any_table_attribute_private_tag_or_nested_sequence(
    tmp_path: Path,
) -> None:
    """GIVEN a two-frame study with a marker in every text-capable Table E.1-1 attribute,
    in private tags, in the file meta, in the preamble and two sequences deep
    WHEN it is de-identified
    THEN no marker is left, and the pixels of both frames come across unchanged."""
    source = tmp_path / "study.dcm"
    planted = write_marker_study(source, rows=64, columns=64, frames=2)
    assert len(leaks_in(source)) == planted + 9  # the extras: meta, private, nested, preamble

    out = deidentify_to(tmp_path, stored(tmp_path, name="study.dcm"))

    assert leaks_in(out) == set()
    copy = dcmread(out)
    assert copy.PixelData == dcmread(source).PixelData
    assert copy.NumberOfFrames == 2
    assert not any(element.tag.is_private for element in copy.iterall())
    frame = copy.PerFrameFunctionalGroupsSequence[0]  # walked, not dropped: a viewer needs it
    assert "FrameComments" not in frame and "FrameComments" not in frame.FrameContentSequence[0]
    assert copy.PatientIdentityRemoved == "YES"
    assert [c.CodeValue for c in copy.DeidentificationMethodCodeSequence] == [
        "113100",
        "113106",
        "113108",
    ]


def test_what_a_clinic_needs_to_judge_the_study_is_kept(tmp_path: Path) -> None:
    original = small_dicom(
        StudyDate="20240301",
        SeriesDate="20240301",
        AcquisitionDateTime="20240301101500",
        StudyTime="101500",
        PatientSex="F",
        PatientAge="061Y",
        PatientSize="1.68",
        PatientWeight="64.5",
        BodyPartExamined="KNEE",
        Laterality="L",
        ImageLaterality="L",
        PatientBirthDate="19630412",
        StudyDescription="MRI knee Jane Doe MRN 4411",
    )

    copy = dcmread(deidentify_to(tmp_path, stored(tmp_path, original)))

    assert (copy.StudyDate, copy.SeriesDate, copy.AcquisitionDateTime, copy.StudyTime) == (
        "20240301",
        "20240301",
        "20240301101500",
        "101500",
    )
    assert (copy.PatientSex, copy.PatientAge, str(copy.PatientSize), str(copy.PatientWeight)) == (
        "F",
        "061Y",
        "1.68",
        "64.5",
    )
    assert (copy.Modality, copy.BodyPartExamined, copy.Laterality, copy.ImageLaterality) == (
        "MR",
        "KNEE",
        "L",
        "L",
    )
    assert not copy.PatientBirthDate  # the age is kept instead
    assert "StudyDescription" not in copy


def test_a_kept_attribute_holding_something_else_than_its_kind_of_value_is_emptied(
    tmp_path: Path,
) -> None:
    with lenient_pydicom():  # a name typed into a date field, as a hospital system might
        original = small_dicom(
            StudyDate="Jane Doe",
            PatientSex="JDOE",
            PatientAge="DOE",
            PatientWeight=b"Jane Doe",
            AcquisitionTime="Jane",
        )

    copy = dcmread(deidentify_to(tmp_path, stored(tmp_path, original)))

    for keyword in ("StudyDate", "PatientSex", "PatientAge", "PatientWeight", "AcquisitionTime"):
        assert keyword in copy and not copy[keyword].value


def test_uids_map_the_same_within_a_case_and_differently_across_cases(tmp_path: Path) -> None:
    """GIVEN two images of one series, the second pointing at the first
    WHEN both are de-identified for one case, and once more for another case
    THEN the study, series and reference still agree within the case, and nothing
    links the copies of the two cases or either to the hospital's UIDs."""
    study, series, first_uid = generate_uid(), generate_uid(), generate_uid()
    reference = Dataset()
    reference.ReferencedSOPClassUID = MRImageStorage
    reference.ReferencedSOPInstanceUID = first_uid
    first = small_dicom(StudyInstanceUID=study, SeriesInstanceUID=series, SOPInstanceUID=first_uid)
    second = small_dicom(
        StudyInstanceUID=study,
        SeriesInstanceUID=series,
        ReferencedImageSequence=Sequence([reference]),
    )
    one = stored(tmp_path, first, name="1.dcm")
    two = stored(tmp_path, second, name="2.dcm")

    a1, a2 = (dcmread(deidentify_to(tmp_path, f)) for f in (one, two))
    b1 = dcmread(deidentify_to(tmp_path, one, key=b"another case's key, 32 bytes...."))

    assert a1.StudyInstanceUID == a2.StudyInstanceUID != study
    assert a1.SeriesInstanceUID == a2.SeriesInstanceUID != series
    assert a2.ReferencedImageSequence[0].ReferencedSOPInstanceUID == a1.SOPInstanceUID
    assert a2.ReferencedImageSequence[0].ReferencedSOPClassUID == MRImageStorage  # not a U
    assert b1.StudyInstanceUID != a1.StudyInstanceUID and b1.SOPInstanceUID != a1.SOPInstanceUID
    assert a1.StudyInstanceUID.startswith("2.25.") and len(a1.StudyInstanceUID) <= 64
    assert UidMap(UID_KEY)(study) == a1.StudyInstanceUID


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({"BurnedInAnnotation": "YES"}, "burned_in_annotation"),
        ({"Modality": "US", "SOPClassUID": UltrasoundImageStorage}, "risky_modality"),
        ({"Modality": "OT", "SOPClassUID": SecondaryCaptureImageStorage}, "risky_modality"),
        ({"Modality": "MR", "SOPClassUID": SecondaryCaptureImageStorage}, "risky_modality"),
        ({"RecognizableVisualFeatures": "YES"}, "recognizable_visual_features"),
        (
            {"Modality": "US", "BurnedInAnnotation": "NO", "RecognizableVisualFeatures": "YES"},
            "recognizable_visual_features",
        ),
    ],
)
def test_an_image_whose_pixels_may_show_the_patient_is_withheld(
    tmp_path: Path, attributes: dict[str, str], reason: str
) -> None:
    with pytest.raises(DeidentificationWithheld) as withheld:
        deidentified_dicom(stored(tmp_path, small_dicom(**attributes)), uid_key=UID_KEY)

    assert withheld.value.reason == reason
    assert "checked" in str(withheld.value.message)


def test_an_ultrasound_that_says_it_has_no_burned_in_text_is_copied(tmp_path: Path) -> None:
    original = small_dicom(
        Modality="US", SOPClassUID=UltrasoundImageStorage, BurnedInAnnotation="NO"
    )

    copy = dcmread(deidentify_to(tmp_path, stored(tmp_path, original)))

    assert copy.Modality == "US" and copy.BurnedInAnnotation == "NO"


def test_a_200_mb_two_frame_study_with_every_marker_leaks_nothing_in_flat_memory(
    tmp_path: Path, figure: Callable[..., None]
) -> None:
    """GIVEN a 200 MB two-frame study built on disk with every marker of the small test
    WHEN it goes through the streaming de-identifier
    THEN no marker is in the output and the Python heap stays small."""
    side = 10240  # 10240 x 10240 x 8 bits = 100 MiB a frame
    planted = write_marker_study(tmp_path / "big.dcm", rows=side, columns=side, frames=2)

    tracemalloc.start()
    try:
        copy = deidentified_dicom(stored(tmp_path, name="big.dcm"), uid_key=UID_KEY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    try:
        size = os.path.getsize(str(copy.name))
        leaked = leaks_in(Path(str(copy.name)))
        header = dcmread(str(copy.name), stop_before_pixels=True)
    finally:
        copy.close()

    peak_mb = round(peak / 2**20, 2)
    figure(
        "dicom.deid",
        attributes=planted,
        leaked=len(leaked),
        peak_mb=peak_mb,
        file_mb=round(size / 2**20),
    )
    assert leaked == set()
    assert planted > 500  # the table has hundreds of text attributes, not a hand-picked dozen
    assert peak_mb < 50
    assert size >= 2 * side * side
    assert header.NumberOfFrames == 2 and header.PatientIdentityRemoved == "YES"


def test_an_ultrasound_a_person_has_checked_is_copied(tmp_path: Path) -> None:
    original = small_dicom(Modality="US", SOPClassUID=UltrasoundImageStorage)
    fieldfile = stored(tmp_path, original)

    copy = deidentified_dicom(fieldfile, uid_key=UID_KEY, pixels_checked=True)

    with copy:
        assert dcmread(copy).Modality == "US"


def test_a_pseudonym_becomes_the_patients_name_and_id(tmp_path: Path) -> None:
    original = small_dicom(PatientName="Doe^Jane", PatientID="MRN-4411")

    copy = deidentified_dicom(stored(tmp_path, original), uid_key=UID_KEY, pseudonym="SC-7K4M")

    with copy:
        ds = dcmread(copy)
    assert ds.PatientName == ds.PatientID == "SC-7K4M"
