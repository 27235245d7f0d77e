from __future__ import annotations

from .case_page import LinkRequestForm, MessageForm, ShareForm, UploadForm, WithdrawForm
from .common import TEXT_MAX
from .wizard import STEP_FORMS, UNLISTED, ConsentForm

__all__ = [
    "STEP_FORMS",
    "TEXT_MAX",
    "UNLISTED",
    "ConsentForm",
    "LinkRequestForm",
    "MessageForm",
    "ShareForm",
    "UploadForm",
    "WithdrawForm",
]
