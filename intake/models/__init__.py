"""Intake models: the patient, their case and everything attached to it.

Split by topic; import from ``intake.models`` only.
"""

from __future__ import annotations

from .access import AccessToken, PrivacyConsent, TokenPurpose
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
    UploadChannel,
)
from .messages import CaseMessage, MessageSender
from .patient import Patient, Sex
from .sharing import ClinicShare, Proposal, ProposalStatus, ProposedClinic

__all__ = [
    "CLOSED_STATUSES",
    "IMAGING_TYPES",
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
    "DocumentCategory",
    "DocumentType",
    "ImmuneCompromise",
    "MessageSender",
    "Patient",
    "PrivacyConsent",
    "Proposal",
    "ProposalStatus",
    "ProposedClinic",
    "Sex",
    "SmokingStatus",
    "TokenPurpose",
    "TravelWindow",
    "UploadChannel",
    "new_case_reference",
]
