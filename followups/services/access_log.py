"""Who looked at which check-in or adverse event: one audit row per page shown.

The patient answering a check-in (their saved answers are on the page) is the
actor ``patient``; clinic staff rating an event are the actor by account. Rows
are filed under the case (``core.privacy``); ids and page numbers only.
"""

from __future__ import annotations

from django.http import HttpRequest

from core.audit import access_record
from core.models import User

from ..models import AdverseEvent, CheckIn


def checkin_view_record(*, check_in: CheckIn, page: int, request: HttpRequest) -> None:
    """Audit a check-in page shown to the patient (``followups.checkin_viewed``)."""
    access_record(
        action="followups.checkin_viewed",
        target=check_in,
        request=request,
        data={"check_in": check_in.pk, "page": page},
    )


def adverse_event_view_record(
    *, event: AdverseEvent, acting_user: User, request: HttpRequest
) -> None:
    """Audit an adverse event shown in the clinic portal (``followups.adverse_event_viewed``)."""
    access_record(
        action="followups.adverse_event_viewed",
        target=event,
        request=request,
        acting_user=acting_user,
        data={"event": event.pk, "clinic": event.clinic_id},
    )
