"""Stored DICOM documents for the clinic imaging tests: identified, risky and one study."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from pydicom.uid import MRImageStorage, UltrasoundImageStorage, generate_uid

from intake.models import CaseDocument, DocumentType
from tests.core.deid_samples import small_dicom

from .staff_factories import CaseDocumentFactory

# Written into every sample: none of it may reach a clinic.
PATIENT = {
    "PatientName": "Doe^Jane",
    "PatientID": "MRN-4411",
    "InstitutionName": "Hospital Santa Rosa",
    "StudyDescription": "MRI knee for Jane Doe",
}
SECRETS = [value.encode() for value in PATIENT.values()]


def stored_dicom(case: Any, data: bytes, *, doc_type: str = DocumentType.MRI) -> CaseDocument:
    return CaseDocumentFactory.create(
        case=case,
        doc_type=doc_type,
        file=ContentFile(data, name="intake/test/imaging.dcm"),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def ultrasound(case: Any) -> CaseDocument:
    """An ultrasound frame that does not say whether text is burned in (most do not)."""
    data = small_dicom(Modality="US", SOPClassUID=UltrasoundImageStorage, **PATIENT)
    return stored_dicom(case, data, doc_type=DocumentType.ULTRASOUND)


def mr_series(case: Any, count: int = 2) -> tuple[list[CaseDocument], str]:
    """``count`` MR images of one study and series; returns them and the study's UID."""
    study, series = generate_uid(), generate_uid()
    documents = [
        stored_dicom(
            case,
            small_dicom(
                SOPClassUID=MRImageStorage,
                StudyInstanceUID=study,
                SeriesInstanceUID=series,
                **PATIENT,
            ),
        )
        for _ in range(count)
    ]
    return documents, study
