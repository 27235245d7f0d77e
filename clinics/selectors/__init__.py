"""Reads for the public directory, clinic profiles and the clinic portal."""

from __future__ import annotations

from .portal import (
    credential_for_download,
    portal_change_request,
    portal_change_requests,
    portal_clinic,
    portal_clinics,
    portal_credentials,
    portal_dashboard_counts,
    portal_doctor,
    portal_doctors,
    portal_offering,
    portal_offerings,
    portal_pending_change,
    portal_review,
    portal_reviews,
)
from .public import (
    DirectoryFilters,
    DirectorySort,
    directory_clinics,
    directory_condition_choices,
    directory_facets,
    public_clinic_profile,
)

__all__ = [
    "DirectoryFilters",
    "DirectorySort",
    "credential_for_download",
    "directory_clinics",
    "directory_condition_choices",
    "directory_facets",
    "portal_change_request",
    "portal_change_requests",
    "portal_clinic",
    "portal_clinics",
    "portal_credentials",
    "portal_dashboard_counts",
    "portal_doctor",
    "portal_doctors",
    "portal_offering",
    "portal_offerings",
    "portal_pending_change",
    "portal_review",
    "portal_reviews",
    "public_clinic_profile",
]
