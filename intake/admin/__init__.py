"""Intake in the admin: the triage queue, proposals, and read-only records."""

from __future__ import annotations

from .cases import CaseAdmin
from .people import AccessTokenAdmin, ClinicShareAdmin, PatientAdmin
from .proposals import ProposalAdmin
from .rights import DataExportAdmin, ErasureRequestAdmin

__all__ = [
    "AccessTokenAdmin",
    "CaseAdmin",
    "ClinicShareAdmin",
    "DataExportAdmin",
    "ErasureRequestAdmin",
    "PatientAdmin",
    "ProposalAdmin",
]
