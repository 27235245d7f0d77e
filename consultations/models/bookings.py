"""Bookings: one consultation at one time, its history, and the links that manage it.

No two active bookings of a host overlap, buffers included. PostgreSQL holds
that in an exclusion constraint over (host, the buffered range); on SQLite the
booking service serialises writers (``consultations.services.bookings``).
"""

from __future__ import annotations

import hashlib
import uuid
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from timezone_field import TimeZoneField

from core.models import TimeStampedModel
from core.privacy import holds_patient_data
from core.transitions import StatusMachine, TransitionTable

from .constraints import PostgresExclusionConstraint, TsTzRange
from .hosts import Host
from .types import ConsultationType, Modality


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


B = BookingStatus
# Bookings that hold their time: only these take part in the no-overlap rule.
ACTIVE_STATUSES: tuple[str, ...] = (B.REQUESTED, B.CONFIRMED)


class BookingQuerySet(models.QuerySet["Booking"]):
    def active(self) -> BookingQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def overlapping(self, start: datetime, end: datetime) -> BookingQuerySet:
        """Bookings whose buffered span meets ``[start, end)`` (half-open, like tstzrange)."""
        return self.filter(blocked_start__lt=end, blocked_end__gt=start)


@holds_patient_data(subject="case")
class Booking(StatusMachine, TimeStampedModel):
    """A patient's consultation with a host. Rescheduling moves it; the history keeps the old time.

    ``uid`` names the booking in calendars for its whole life; ``sequence`` rises
    with every change a calendar must hear about (ICS ``SEQUENCE``).
    """

    TRANSITIONS = TransitionTable(
        {
            B.REQUESTED: {B.CONFIRMED, B.CANCELLED},
            B.CONFIRMED: {B.COMPLETED, B.NO_SHOW, B.CANCELLED},
            B.COMPLETED: set(),
            B.NO_SHOW: set(),
            B.CANCELLED: set(),
        }
    )

    uid = models.UUIDField(_("calendar id"), default=uuid.uuid4, unique=True, editable=False)
    host = models.ForeignKey(
        Host, verbose_name=_("host"), on_delete=models.PROTECT, related_name="bookings"
    )
    consultation_type = models.ForeignKey(
        ConsultationType,
        verbose_name=_("consultation type"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="consultations",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=BookingStatus.choices,
        default=B.REQUESTED,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    start_at = models.DateTimeField(_("starts"), db_index=True)
    end_at = models.DateTimeField(_("ends"))
    # The span the host is busy: the consultation plus the type's buffers, fixed
    # when booked (a later change to the type's buffers does not move old bookings).
    blocked_start = models.DateTimeField(_("blocked from"))
    blocked_end = models.DateTimeField(_("blocked until"))
    patient_time_zone = TimeZoneField(_("patient's time zone"), default="UTC")
    question = models.TextField(
        _("question for the consultation"),
        max_length=2000,
        blank=True,
        validators=[MaxLengthValidator(2000)],
    )
    document = models.ForeignKey(
        "intake.CaseDocument",
        verbose_name=_("document for the consultation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultations",
    )
    # Where it happens, fixed at booking so a later edit of the type is not a silent move.
    modality = models.CharField(_("video or in person"), max_length=10, choices=Modality.choices)
    location = models.CharField(_("address"), max_length=300, blank=True)
    meeting_url = models.URLField(_("meeting link"), max_length=300, blank=True)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by (staff)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["start_at", "id"]
        indexes = [
            models.Index(fields=["host", "blocked_start"], name="consult_booking_host_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=BookingStatus.values),
                name="consultations_booking_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(end_at__gt=models.F("start_at")),
                name="consultations_booking_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    blocked_start__lte=models.F("start_at"), blocked_end__gte=models.F("end_at")
                ),
                name="consultations_booking_block_covers_booking",
            ),
            models.CheckConstraint(
                condition=~models.Q(modality=Modality.IN_PERSON) | ~models.Q(location=""),
                name="consultations_booking_in_person_has_address",
            ),
            PostgresExclusionConstraint(
                name="consultations_booking_no_overlap",
                expressions=[
                    ("host", RangeOperators.EQUAL),
                    (
                        TsTzRange("blocked_start", "blocked_end", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                violation_error_code="slot_taken",
                violation_error_message=_("That time was just taken."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_type.name} @ {self.start_at:%Y-%m-%d %H:%M} UTC"

    def clean(self) -> None:
        super().clean()
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValidationError({"end_at": _("The end must be after the start.")})
        document = self.document if self.document_id else None
        if document is not None and self.case_id and document.case_id != self.case_id:
            raise ValidationError({"document": _("The document must belong to this case.")})

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def change_deadline(self) -> datetime:
        """After this, only the host may move or cancel (the type's minimum notice)."""
        return self.start_at - timedelta(hours=self.consultation_type.min_change_notice_hours)

    @property
    def host_zone(self) -> zoneinfo.ZoneInfo:
        return self.host.zone

    @property
    def host_local_start(self) -> datetime:
        return self.start_at.astimezone(self.host.zone)

    @property
    def patient_local_start(self) -> datetime:
        return self.start_at.astimezone(zoneinfo.ZoneInfo(str(self.patient_time_zone)))


class BookingAction(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CONFIRMED = "confirmed", _("Confirmed")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")


@holds_patient_data(subject="booking__case")
class BookingEvent(models.Model):
    """One change to a booking: reschedules keep the old time here, cancellations the reason."""

    booking = models.ForeignKey(
        Booking, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("what happened"), max_length=12, choices=BookingAction.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by (user)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=254)
    previous_start = models.DateTimeField(_("previous start"), null=True, blank=True)
    new_start = models.DateTimeField(_("new start"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    overrode_notice = models.BooleanField(
        _("inside the minimum notice (host override)"), default=False
    )

    class Meta:
        verbose_name = _("consultation change")
        verbose_name_plural = _("consultation changes")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=BookingAction.values),
                name="consultations_bookingevent_action_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(action=BookingAction.RESCHEDULED)
                | models.Q(previous_start__isnull=False, new_start__isnull=False),
                name="consultations_bookingevent_reschedule_has_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


def hash_link_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@holds_patient_data(subject="booking__case")
class BookingLink(models.Model):
    """A link in an e-mail that lets the patient reschedule or cancel one booking.

    Only the SHA-256 is stored; the raw token exists in the e-mail alone. One
    link per notification (a retried send revokes the link the earlier try
    issued). It works until it expires, is revoked, or the booking is over.
    """

    booking = models.ForeignKey(
        Booking, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="links"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    notification_id = models.BigIntegerField(_("issued for message"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("consultation link")
        verbose_name_plural = _("consultation links")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="consultations_bookinglink_expires_after_created",
            ),
            models.CheckConstraint(
                condition=models.Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 - a pattern
                name="consultations_bookinglink_hash_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"link #{self.pk} for {self.booking_id}"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
