"""Consultations writes. Import from ``consultations.services``.

Keyword-only, ``acting_user`` always passed (None is the patient, who has no
login: the view authorised them through their case link or booking link), one
transaction each, audited, e-mails queued in the outbox in the same transaction.
"""

from __future__ import annotations

from .availability import (
    consultation_type_save,
    date_exception_add,
    date_exception_remove,
    host_for_clinic,
    rule_add,
    rule_remove,
)
from .bookings import SlotTaken, booking_create, booking_reschedule
from .lifecycle import booking_cancel, booking_complete, booking_confirm, booking_no_show
from .links import booking_link_issue, booking_link_lookup, booking_link_url
from .treatments import (
    treatment_phase_book,
    treatment_plan_cancel,
    treatment_plan_create,
    treatment_record_complete,
    treatment_record_save,
    treatment_record_void,
)

__all__ = [
    "SlotTaken",
    "booking_cancel",
    "booking_complete",
    "booking_confirm",
    "booking_create",
    "booking_link_issue",
    "booking_link_lookup",
    "booking_link_url",
    "booking_no_show",
    "booking_reschedule",
    "consultation_type_save",
    "date_exception_add",
    "date_exception_remove",
    "host_for_clinic",
    "rule_add",
    "rule_remove",
    "treatment_phase_book",
    "treatment_plan_cancel",
    "treatment_plan_create",
    "treatment_record_complete",
    "treatment_record_save",
    "treatment_record_void",
]
