"""What a patient reads about their own consultations.

Every function takes a case the view already authorised (the case link in
this session, ``intake.selectors.patient_case_or_404``, or a booking link) and
reads that case's rows only: another case's booking is a 404.
"""

from __future__ import annotations

from urllib.parse import unquote

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from core.middleware import TZ_COOKIE, valid_zone
from intake.models import Case, ClinicShare

from ..models import Booking, ConsultationType, HostKind


def patient_zone(request: HttpRequest, case: Case) -> str:
    """The browser's zone (static/js/tz.js) once known, else the one the patient gave us."""
    browser = valid_zone(unquote(request.COOKIES.get(TZ_COOKIE, ""))[:64])
    return browser or valid_zone(str(case.patient.time_zone)) or "UTC"


def bookable_types_for_case(*, case: Case) -> list[ConsultationType]:
    """The concierge's consultations, then those of clinics the case is shared with now."""
    shared = ClinicShare.objects.active().filter(case=case).values("clinic_id")
    return list(
        ConsultationType.objects.bookable()
        .filter(Q(host__kind=HostKind.CONCIERGE) | Q(host__clinic_id__in=shared))
        .select_related("host__clinic")
        .order_by("-host__kind", "host__name", "name")  # "concierge" sorts before "clinic"
    )


def bookings_for_case(*, case: Case) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(case=case)
        .select_related("host__clinic", "consultation_type")
        .order_by("-start_at", "-pk")
    )


def case_booking_or_404(*, case: Case, pk: int) -> Booking:
    booking = bookings_for_case(case=case).filter(pk=pk).select_related("case__patient").first()
    if booking is None:
        raise Http404
    return booking
