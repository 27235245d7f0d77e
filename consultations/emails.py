"""Consultation e-mails (outbox kinds), registered in ``ConsultationsConfig.ready``.

Each booking message goes to the patient (in the zone they booked from, with a
link to reschedule or cancel issued for that very message) and to the host (in
the host's zone, with a link to the booking in the portal or the admin). The
invite rides along as ``text/calendar; method=...`` (``consultations.ics``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.notifications.kinds import (
    Attachment,
    Audience,
    Extras,
    NotificationKind,
    Reader,
    register,
)
from core.notifications.models import Notification

from .ics import booking_ics
from .instructions import pretreatment_instructions
from .models import Booking, BookingStatus, PlanStatus, TreatmentPhase
from .services import notices
from .services.links import booking_link_issue, booking_link_url


def _for_host(notification: Notification) -> bool:
    return bool(notification.data.get("for_host"))


class _BookingKind(NotificationKind):
    """Shared by every booking message: who reads it, in which zone, with which links."""

    audience = Audience.PATIENT
    ics_method: str | None = None
    # Superseded by a later change of the same booking (its own message follows).
    only_current_sequence = True

    def about_queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return Booking.objects.select_related(
            "host__clinic", "host__user", "consultation_type", "case__patient"
        )

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        if about is None:
            return False
        if self.only_current_sequence and notification.data.get("sequence") != about.sequence:
            return False
        return bool(about.case.is_open)

    def reader(self, notification: Notification, about: Any) -> Reader | None:
        if _for_host(notification):
            return super().reader(notification, about)
        patient = about.case.patient
        return Reader(
            patient.email,
            notification.language or patient.language,
            notification.time_zone or str(about.patient_time_zone),
        )

    def footer_reason(self, notification: Notification, about: Any) -> Any:
        if _for_host(notification):
            return _("You get this because patients book consultations in your calendar.")
        return _("You get this because you booked a consultation through our concierge service.")

    def _host_url(self, booking: Booking) -> str:
        if booking.host.clinic_id is not None:
            path = reverse(
                "consultations_portal:booking",
                kwargs={"slug": booking.host.clinic.slug, "pk": booking.pk},  # type: ignore[union-attr]
            )
        else:
            path = reverse("admin:consultations_booking_change", args=[booking.pk])
        return settings.SITE_URL + path

    def _manage_url(self, notification: Notification, booking: Booking) -> str:
        if not booking.is_active or booking.start_at <= timezone.now():
            return ""
        # Issued for this message only; a retried send revokes the earlier try's link.
        return booking_link_url(
            booking_link_issue(booking=booking, notification_id=notification.pk)
        )

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        booking: Booking = about
        for_host = _for_host(notification)
        other_zone = str(booking.patient_time_zone) if for_host else str(booking.host.time_zone)
        return {
            "booking": booking,
            "for_host": for_host,
            "reader_zone": reader.resolved_time_zone(),
            "other_zone": other_zone,
            "other_place": _("the patient") if for_host else booking.host.place,
            "patient_name": booking.case.patient.full_name,
            "manage_url": "" if for_host else self._manage_url(notification, booking),
            "host_url": self._host_url(booking) if for_host else "",
            "hours": notification.data.get("hours"),
            "change_notice_hours": booking.consultation_type.min_change_notice_hours,
        }

    def extras(self, notification: Notification, about: Any, reader: Reader) -> Extras:
        if self.ics_method is None:
            return Extras()
        booking: Booking = about
        with translation.override(reader.resolved_language()):
            summary = str(
                _("Consultation: %(type)s with %(host)s")
                % {"type": booking.consultation_type.name, "host": booking.host.name}
            )
            description = str(
                _("Case %(ref)s. Times in UTC; your calendar shows them in your zone (%(zone)s).")
                % {"ref": booking.case.reference, "zone": reader.resolved_time_zone()}
            )
        ics = booking_ics(
            booking,
            method=self.ics_method,
            reader_zone=reader.resolved_time_zone(),
            summary=summary,
            description=description,
        )
        return Extras(
            attachments=[Attachment("invite.ics", ics, f"text/calendar; method={self.ics_method}")]
        )


@register
class BookingRequested(_BookingKind):
    """A booking waits for the host to confirm it: no invite yet."""

    name = notices.REQUESTED
    template = "consultations-booking-requested"


@register
class BookingConfirmed(_BookingKind):
    """The booking stands: the invite (METHOD:REQUEST) for both sides."""

    name = notices.CONFIRMED
    template = "consultations-booking-confirmed"
    ics_method = "REQUEST"

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return super().is_wanted(notification, about) and about.status == BookingStatus.CONFIRMED


@register
class BookingUpdated(_BookingKind):
    """The booking moved: the same UID with a higher SEQUENCE."""

    name = notices.UPDATED
    template = "consultations-booking-updated"
    ics_method = "REQUEST"

    def extras(self, notification: Notification, about: Any, reader: Reader) -> Extras:
        # A requested booking that moved has no invite yet: none is sent.
        if about.status != BookingStatus.CONFIRMED:
            return Extras()
        return super().extras(notification, about, reader)


@register
class BookingCancelled(_BookingKind):
    """The booking is off: METHOD:CANCEL removes it from calendars."""

    name = notices.CANCELLED
    template = "consultations-booking-cancelled"
    ics_method = "CANCEL"
    only_current_sequence = False


@register
class BookingReminder(_BookingKind):
    """24 h and 1 h before; not wanted once the booking moved, was cancelled or has passed."""

    name = notices.REMINDER
    template = "consultations-booking-reminder"

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return (
            super().is_wanted(notification, about)
            and about.status == BookingStatus.CONFIRMED
            and notification.data.get("start") == about.start_at.isoformat()
            and about.start_at > timezone.now()
        )


@register
class PretreatmentInstructions(NotificationKind):
    """What to do before a treatment visit, sent a set number of days before it."""

    name = notices.PRETREATMENT
    template = "consultations-pretreatment"
    audience = Audience.PATIENT
    reason = _(
        "You get this because a clinic planned a treatment with you through our concierge service."
    )

    def about_queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return TreatmentPhase.objects.select_related(
            "plan__offering", "plan__clinic", "plan__case__patient"
        )

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return (
            about is not None
            and about.plan.status == PlanStatus.PLANNED
            and about.plan.case.is_open
            and notification.data.get("planned_date") == about.planned_date.isoformat()
        )

    def reader(self, notification: Notification, about: Any) -> Reader | None:
        patient = about.plan.case.patient
        return Reader(
            patient.email,
            notification.language or patient.language,
            notification.time_zone or str(patient.time_zone),
        )

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        phase: TreatmentPhase = about
        with translation.override(reader.resolved_language()):
            lines = [str(line) for line in pretreatment_instructions(phase.plan, phase.kind)]
        return {
            "phase": phase,
            "plan": phase.plan,
            "clinic": phase.plan.clinic,
            "instructions": lines,
        }
