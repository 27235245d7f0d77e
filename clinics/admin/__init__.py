"""Clinics in the admin: vetting, the register, the change-request queue, reviews.

Every state change is an admin action or button that calls a service, so the
admin writes the same audit rows and history as the portal.
"""

from __future__ import annotations

from .changes import ChangeRequestAdmin
from .clinics import ClinicAdmin, VettingReviewAdmin
from .notices import CredentialNoticeAdmin
from .offerings import LegalityRuleAdmin, OfferingAdmin
from .rates import ExchangeRateSourceAdmin
from .register import CredentialAdmin
from .reviews import ReviewAdmin
from .taxonomy import ConditionAdmin

__all__ = [
    "ChangeRequestAdmin",
    "ClinicAdmin",
    "ConditionAdmin",
    "CredentialAdmin",
    "CredentialNoticeAdmin",
    "ExchangeRateSourceAdmin",
    "LegalityRuleAdmin",
    "OfferingAdmin",
    "ReviewAdmin",
    "VettingReviewAdmin",
]
