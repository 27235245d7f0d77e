"""Consultations reads, scoped by who is asking. Import from ``consultations.selectors``."""

from __future__ import annotations

from .patient import (
    bookable_types_for_case,
    bookings_for_case,
    case_booking_or_404,
    patient_zone,
)
from .portal import (
    BookingFilters,
    portal_booking_or_404,
    portal_bookings,
    portal_case_or_404,
    portal_host,
    portal_plans,
    portal_records,
)
from .treatments import (
    completed_treatments,
    treatment_verifies_review,
    treatments_completed_without,
)

__all__ = [
    "BookingFilters",
    "bookable_types_for_case",
    "bookings_for_case",
    "case_booking_or_404",
    "completed_treatments",
    "patient_zone",
    "portal_booking_or_404",
    "portal_bookings",
    "portal_case_or_404",
    "portal_host",
    "portal_plans",
    "portal_records",
    "treatment_verifies_review",
    "treatments_completed_without",
]
