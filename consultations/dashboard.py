"""Consultations on the staff dashboard: today's, and requests nobody has confirmed yet."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dashboard import Tile, Tone

from .models import ACTIVE_STATUSES, Booking, BookingStatus
from .selectors.portal import window


def consultations_tiles(request: HttpRequest) -> list[Tile]:
    """One query; "today" on the reader's clock, as the bookings admin counts it."""
    start, end = window("today", timezone.get_current_timezone())
    counts = Booking.objects.aggregate(
        today=Count(
            "pk", filter=Q(status__in=ACTIVE_STATUSES, start_at__gte=start, start_at__lt=end)
        ),
        requested=Count(
            "pk", filter=Q(status=BookingStatus.REQUESTED, start_at__gte=timezone.now())
        ),
    )
    base = reverse("admin:consultations_booking_changelist")
    group = _("Consultations")
    return [
        Tile(
            _("Consultations today"),
            counts["today"] or 0,
            f"{base}?when=today&status__in={','.join(ACTIVE_STATUSES)}",
            Tone.INFO,
            group,
        ),
        Tile(
            _("Requests to confirm"),
            counts["requested"] or 0,
            f"{base}?when=upcoming&status__exact={BookingStatus.REQUESTED}",
            Tone.ATTENTION,
            group,
        ),
    ]
