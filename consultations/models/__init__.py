"""Consultations models. ``from consultations.models import X`` works for every model here."""

from __future__ import annotations

from .bookings import (
    ACTIVE_STATUSES,
    Booking,
    BookingAction,
    BookingEvent,
    BookingLink,
    BookingStatus,
    hash_link_token,
)
from .hosts import AvailabilityRule, DateException, Host, HostKind, Weekday
from .treatments import (
    CULTURE_WEEKS,
    MIN_CULTURE_DAYS,
    PhaseKind,
    PlanStatus,
    RecordStatus,
    TreatmentPhase,
    TreatmentPlan,
    TreatmentRecord,
    culture_ready_on,
    needs_two_phases,
)
from .types import ConsultationType, Modality, VideoLink

__all__ = [
    "ACTIVE_STATUSES",
    "CULTURE_WEEKS",
    "MIN_CULTURE_DAYS",
    "AvailabilityRule",
    "Booking",
    "BookingAction",
    "BookingEvent",
    "BookingLink",
    "BookingStatus",
    "ConsultationType",
    "DateException",
    "Host",
    "HostKind",
    "Modality",
    "PhaseKind",
    "PlanStatus",
    "RecordStatus",
    "TreatmentPhase",
    "TreatmentPlan",
    "TreatmentRecord",
    "VideoLink",
    "Weekday",
    "culture_ready_on",
    "hash_link_token",
    "needs_two_phases",
]
