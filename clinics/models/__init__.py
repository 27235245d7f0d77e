"""Clinics models. ``from clinics.models import X`` works for every model here."""

from __future__ import annotations

from .changes import ChangeRequest, ChangeRequestKind, ChangeRequestStatus
from .clinic import Clinic, ClinicMembership, ClinicStatus, Doctor, ReviewQueueReason
from .legality import Compliance, Legality, LegalityRule
from .offering import (
    CELL_FREE_TYPES,
    CellOrigin,
    CellSource,
    CellType,
    Manipulation,
    Offering,
    OfferingStatus,
    Route,
)
from .rates import ExchangeRateSource
from .reviews import ModerationReason, Review, ReviewStage, ReviewStatus
from .taxonomy import Condition, ConditionCategory
from .vetting import (
    ALLOGENEIC_BADGE_KINDS,
    CLINIC_BADGE_KINDS,
    CULTURED_BADGE_KINDS,
    DECISION_TO_STATUS,
    Credential,
    CredentialKind,
    CredentialNotice,
    CredentialStatus,
    DocumentKind,
    NoticeKind,
    VettingDecision,
    VettingReview,
)

# Which fields of each model are "vetted facts" (edits go to a ChangeRequest)
# and which are cosmetic (a clinic's edit goes live at once). See docs/clinics.md.
VETTED_FACT_FIELDS: dict[type, frozenset[str]] = {
    Clinic: Clinic.VETTED_FACT_FIELDS,
    Offering: Offering.VETTED_FACT_FIELDS,
    Doctor: Doctor.VETTED_FACT_FIELDS,
    Credential: Credential.VETTED_FACT_FIELDS,
}

__all__ = [
    "ALLOGENEIC_BADGE_KINDS",
    "CELL_FREE_TYPES",
    "CLINIC_BADGE_KINDS",
    "CULTURED_BADGE_KINDS",
    "DECISION_TO_STATUS",
    "VETTED_FACT_FIELDS",
    "CellOrigin",
    "CellSource",
    "CellType",
    "ChangeRequest",
    "ChangeRequestKind",
    "ChangeRequestStatus",
    "Clinic",
    "ClinicMembership",
    "ClinicStatus",
    "Compliance",
    "Condition",
    "ConditionCategory",
    "Credential",
    "CredentialKind",
    "CredentialNotice",
    "CredentialStatus",
    "Doctor",
    "DocumentKind",
    "ExchangeRateSource",
    "Legality",
    "LegalityRule",
    "Manipulation",
    "ModerationReason",
    "NoticeKind",
    "Offering",
    "OfferingStatus",
    "Review",
    "ReviewQueueReason",
    "ReviewStage",
    "ReviewStatus",
    "Route",
    "VettingDecision",
    "VettingReview",
]
