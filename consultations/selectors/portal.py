"""What clinic staff read in the portal: their own clinic's calendar, bookings and treatments.

Scoped twice: the clinic comes from ``clinics.selectors.portal_clinic`` (the
user's memberships), and every query here repeats the membership join. A
booking, plan or record is shown only while the patient's share with the
clinic is active: a revoked share hides the patient's data at once. Another
clinic's row is a 404 with nothing of it in the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from clinics.models import Clinic
from core.models import User
from intake.models import Case, ClinicShare

from ..models import ACTIVE_STATUSES, Booking, BookingStatus, Host, TreatmentPlan, TreatmentRecord

M = TypeVar("M", Booking, TreatmentPlan, TreatmentRecord)


def _member(user: User, clinic: Clinic) -> bool:
    return bool(
        user.is_authenticated and user.is_active and clinic.memberships.filter(user=user).exists()
    )


def _shared_now(clinic_field: str) -> Exists:
    return Exists(
        ClinicShare.objects.active().filter(
            case_id=OuterRef("case_id"), clinic_id=OuterRef(clinic_field)
        )
    )


def _scoped(
    qs: QuerySet[M], *, acting_user: User, clinic: Clinic, clinic_field: str
) -> QuerySet[M]:
    if not _member(acting_user, clinic):
        return qs.none()
    return qs.filter(**{clinic_field: clinic.pk}).filter(_shared_now(clinic_field))


def portal_host(*, acting_user: User, clinic: Clinic) -> Host | None:
    """The clinic's own calendar (not a doctor's), if it has one."""
    if not _member(acting_user, clinic):
        return None
    return Host.objects.filter(clinic=clinic, doctor__isnull=True).first()


@dataclass(frozen=True)
class BookingFilters:
    when: str = "upcoming"  # today | week | upcoming | past | all
    status: str = ""

    WHEN_CHOICES = ("today", "week", "upcoming", "past", "all")

    @classmethod
    def from_query(cls, params: Any) -> BookingFilters:
        when = params.get("when", "upcoming")
        status = params.get("status", "")
        return cls(
            when=when if when in cls.WHEN_CHOICES else "upcoming",
            status=status if status in BookingStatus.values else "",
        )


def window(
    when: str, zone: Any, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """The [from, until) of a "when" filter, days counted on ``zone``'s clock."""
    now = now or timezone.now()
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if when == "today":
        return today, today + timedelta(days=1)
    if when == "week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=7)
    if when == "upcoming":
        return now - timedelta(hours=2), None
    if when == "past":
        return None, now
    return None, None


def portal_bookings(
    *, acting_user: User, clinic: Clinic, filters: BookingFilters | None = None
) -> QuerySet[Booking]:
    """The clinic's bookings (every calendar of the clinic), filtered; constant queries."""
    filters = filters or BookingFilters()
    rows = _scoped(
        Booking.objects.all(),
        acting_user=acting_user,
        clinic=clinic,
        clinic_field="host__clinic_id",
    )
    start, end = window(filters.when, clinic.time_zone)
    if start is not None:
        rows = rows.filter(start_at__gte=start)
    if end is not None:
        rows = rows.filter(start_at__lt=end)
    if filters.status:
        rows = rows.filter(status=filters.status)
    elif filters.when == "upcoming":
        rows = rows.filter(status__in=ACTIVE_STATUSES)
    order = "-start_at" if filters.when == "past" else "start_at"
    return rows.select_related(
        "host", "consultation_type", "case__patient", "case__condition"
    ).order_by(order, "pk")


def portal_booking_or_404(*, acting_user: User, clinic: Clinic, pk: int) -> Booking:
    booking = (
        portal_bookings(acting_user=acting_user, clinic=clinic, filters=BookingFilters(when="all"))
        .filter(pk=pk)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def portal_case_or_404(*, acting_user: User, clinic: Clinic, reference: str) -> Case:
    """A case shared with this clinic now (for plans and records)."""
    if not _member(acting_user, clinic):
        raise Http404
    case = (
        Case.objects.filter(
            reference=reference, shares__clinic=clinic, shares__revoked_at__isnull=True
        )
        .select_related("patient", "condition")
        .first()
    )
    if case is None or not case.is_open:
        raise Http404
    return case


def portal_plans(*, acting_user: User, clinic: Clinic) -> QuerySet[TreatmentPlan]:
    return (
        _scoped(
            TreatmentPlan.objects.all(),
            acting_user=acting_user,
            clinic=clinic,
            clinic_field="clinic_id",
        )
        .select_related("case__patient", "offering")
        .prefetch_related("phases__booking")
        .order_by("-created_at", "-pk")
    )


def portal_records(*, acting_user: User, clinic: Clinic) -> QuerySet[TreatmentRecord]:
    return (
        _scoped(
            TreatmentRecord.objects.all(),
            acting_user=acting_user,
            clinic=clinic,
            clinic_field="clinic_id",
        )
        .select_related("case__patient", "offering", "treating_doctor", "plan")
        .order_by("-treated_on", "-pk")
    )
