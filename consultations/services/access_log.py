"""Who looked at which consultation: one audit row per booking page opened.

The patient (from the case page or the e-mailed link) is the actor ``patient``;
clinic staff are the actor by account. The row is filed under the booking's case
(``core.privacy``), ids only.
"""

from __future__ import annotations

from django.http import HttpRequest

from clinics.models import Clinic
from core.audit import access_record
from core.models import User

from ..models import Booking


def booking_view_record(
    *,
    booking: Booking,
    request: HttpRequest,
    via: str,
    acting_user: User | None = None,
    clinic: Clinic | None = None,
) -> None:
    """Audit a booking page shown (``consultations.booking_viewed``); ``via`` says where from."""
    data: dict[str, object] = {"booking": booking.pk, "case": booking.case_id, "via": via}
    if clinic is not None:
        data["clinic"] = clinic.pk
    access_record(
        action="consultations.booking_viewed",
        target=booking,
        request=request,
        acting_user=acting_user,
        data=data,
    )
