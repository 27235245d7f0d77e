"""Clinics services: every write that crosses models or has a side effect.

Keyword-only, ``acting_user`` always passed, one transaction each, an audit row
in the same transaction. Clinic users act only on their own clinic
(``PermissionDenied`` otherwise); fields they may not set are refused with
``DomainError(code="forbidden_field")``, never silently applied.
"""

from __future__ import annotations

from ._change_targets import refresh_usd
from .catalogue import (
    doctor_propose,
    doctor_remove,
    offering_create,
    offering_staff_save,
    offering_withdraw,
)
from .change_decisions import change_request_approve, change_request_reject
from .changes import (
    ContentUpdateResult,
    change_request_submit,
    clinic_content_update,
    clinic_cosmetic_update,
)
from .credentials import (
    CREDENTIAL_FILE_KINDS,
    SweepResult,
    credential_expiry_sweep,
    credential_notice_notify,
    credential_reject,
    credential_upload,
    credential_verify,
    required_credential_kinds,
)
from .diff import DiffRow, change_request_diff, change_request_fingerprint
from .reviews import review_moderate, review_reply, review_submit, review_verify_treatment
from .vetting import (
    clinic_review_queue_add,
    clinic_review_queue_clear,
    clinic_status_change,
    vetting_review_decide,
    vetting_review_open,
)

__all__ = [
    "CREDENTIAL_FILE_KINDS",
    "ContentUpdateResult",
    "DiffRow",
    "SweepResult",
    "change_request_approve",
    "change_request_diff",
    "change_request_fingerprint",
    "change_request_reject",
    "change_request_submit",
    "clinic_content_update",
    "clinic_cosmetic_update",
    "clinic_review_queue_add",
    "clinic_review_queue_clear",
    "clinic_status_change",
    "credential_expiry_sweep",
    "credential_notice_notify",
    "credential_reject",
    "credential_upload",
    "credential_verify",
    "doctor_propose",
    "doctor_remove",
    "offering_create",
    "offering_staff_save",
    "offering_withdraw",
    "refresh_usd",
    "required_credential_kinds",
    "review_moderate",
    "review_reply",
    "review_submit",
    "review_verify_treatment",
    "vetting_review_decide",
    "vetting_review_open",
]
