"""Intake models: the patient, their case and everything attached to it.

Split by topic; import from ``intake.models`` only.
"""

from __future__ import annotations

from .access import AccessToken, PrivacyConsent, TokenPurpose
from .archives import IN_PROGRESS_ARCHIVE_STATUSES, StudyArchive, StudyArchiveStatus
from .case import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    AlcoholUse,
    CancerHistory,
    Case,
    CaseStatus,
    ConditionDuration,
    ImmuneCompromise,
    SmokingStatus,
    TravelWindow,
    new_case_reference,
)
from .documents import (
    IMAGING_TYPES,
    READINESS_TYPES,
    RECORD_TYPES,
    CaseDocument,
    DocumentCategory,
    DocumentType,
    PixelsFlag,
    UploadChannel,
)
from .downloads import IN_PROGRESS_DOWNLOAD_STATUSES, DownloadStatus, PreparedDownload
from .messages import CaseMessage, MessageSender
from .patient import Patient, Sex
from .rights import (
    IN_PROGRESS_EXPORT_STATUSES,
    OPEN_ERASURE_STATUSES,
    DataExport,
    DataExportStatus,
    ErasureRequest,
    ErasureStatus,
)
from .sharing import ClinicShare, Proposal, ProposalStatus, ProposedClinic

__all__ = [
    "CLOSED_STATUSES",
    "IMAGING_TYPES",
    "IN_PROGRESS_ARCHIVE_STATUSES",
    "IN_PROGRESS_DOWNLOAD_STATUSES",
    "IN_PROGRESS_EXPORT_STATUSES",
    "OPEN_ERASURE_STATUSES",
    "OPEN_STATUSES",
    "READINESS_TYPES",
    "RECORD_TYPES",
    "AccessToken",
    "AlcoholUse",
    "CancerHistory",
    "Case",
    "CaseDocument",
    "CaseMessage",
    "CaseStatus",
    "ClinicShare",
    "ConditionDuration",
    "DataExport",
    "DataExportStatus",
    "DocumentCategory",
    "DocumentType",
    "DownloadStatus",
    "ErasureRequest",
    "ErasureStatus",
    "ImmuneCompromise",
    "MessageSender",
    "Patient",
    "PixelsFlag",
    "PreparedDownload",
    "PrivacyConsent",
    "Proposal",
    "ProposalStatus",
    "ProposedClinic",
    "Sex",
    "SmokingStatus",
    "StudyArchive",
    "StudyArchiveStatus",
    "TokenPurpose",
    "TravelWindow",
    "UploadChannel",
    "new_case_reference",
]
