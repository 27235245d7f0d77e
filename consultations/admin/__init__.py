"""The concierge admin for consultations: calendars, bookings, treatment plans and records."""

from __future__ import annotations

from . import bookings, hosts, treatments

__all__ = ["bookings", "hosts", "treatments"]
