"""Intake writes. Import from ``intake.services``."""

from __future__ import annotations

from .case_page import (
    case_message_send,
    case_withdraw,
    clinic_share_grant,
    clinic_share_revoke,
    shareable_clinic_ids,
)
from .documents import (
    ALLOWED_KINDS,
    RefusedFile,
    UploadOutcome,
    case_bytes_left,
    case_document_remove,
    case_documents_add,
)
from .drafts import (
    intake_consent_record,
    intake_draft_save,
    intake_draft_start,
    intake_missing_steps,
)
from .link_requests import access_links_request, resume_link_request
from .retention import access_tokens_purge, drafts_purge
from .submission import intake_submit
from .tokens import (
    access_link_url,
    access_token_issue,
    access_token_issue_for_session,
    access_token_lookup,
    access_token_touch,
    access_tokens_revoke,
)
from .transitions import case_assign_owner, case_transition
from .triage import case_triage_compute, case_triage_refresh, preferred_clinic_is_ml_only

__all__ = [
    "ALLOWED_KINDS",
    "RefusedFile",
    "UploadOutcome",
    "access_link_url",
    "access_links_request",
    "access_token_issue",
    "access_token_issue_for_session",
    "access_token_lookup",
    "access_token_touch",
    "access_tokens_purge",
    "access_tokens_revoke",
    "case_assign_owner",
    "case_bytes_left",
    "case_document_remove",
    "case_documents_add",
    "case_message_send",
    "case_transition",
    "case_triage_compute",
    "case_triage_refresh",
    "case_withdraw",
    "clinic_share_grant",
    "clinic_share_revoke",
    "drafts_purge",
    "intake_consent_record",
    "intake_draft_save",
    "intake_draft_start",
    "intake_missing_steps",
    "intake_submit",
    "preferred_clinic_is_ml_only",
    "resume_link_request",
    "shareable_clinic_ids",
]
