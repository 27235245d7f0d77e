"""Who consultations are with, and when they are free.

A host is a concierge staff member or a clinic (optionally one of its doctors).
Weekly rules and date exceptions are wall-clock times in the host's own zone:
a 09:00 rule stays 09:00 where the host is, across daylight-saving changes
(``consultations.slots`` turns them into instants, one day at a time).
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from timezone_field import TimeZoneField

from core.models import TimeStampedModel


class HostKind(models.TextChoices):
    CONCIERGE = "concierge", _("Concierge staff member")
    CLINIC = "clinic", _("Clinic")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class HostQuerySet(models.QuerySet["Host"]):
    def active(self) -> HostQuerySet:
        return self.filter(is_active=True)

    def concierge(self) -> HostQuerySet:
        return self.filter(kind=HostKind.CONCIERGE)

    def for_clinic(self, clinic_id: int) -> HostQuerySet:
        return self.filter(kind=HostKind.CLINIC, clinic_id=clinic_id)


class Host(TimeStampedModel):
    """Whose calendar a consultation goes in. Booking locks this row (see services)."""

    kind = models.CharField(_("kind"), max_length=10, choices=HostKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("concierge staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultation_hosts",
        limit_choices_to={"is_staff": True},
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        verbose_name=_("clinic"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consultation_hosts",
    )
    doctor = models.ForeignKey(
        "clinics.Doctor",
        verbose_name=_("doctor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultation_hosts",
        help_text=_("Optional: the clinic doctor who takes these consultations."),
    )
    name = models.CharField(
        _("name shown to patients"),
        max_length=150,
        help_text=_("e.g. 'Carmen (concierge)' or 'Dr. Ruiz, Clínica Regenera'."),
    )
    time_zone = TimeZoneField(
        _("time zone"), help_text=_("Availability is entered in this zone's wall-clock time.")
    )
    is_active = models.BooleanField(_("taking bookings"), default=True)

    objects = HostQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("host")
        verbose_name_plural = _("hosts")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=HostKind.values), name="consultations_host_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind=HostKind.CONCIERGE,
                        user__isnull=False,
                        clinic__isnull=True,
                        doctor__isnull=True,
                    )
                    | models.Q(kind=HostKind.CLINIC, user__isnull=True, clinic__isnull=False)
                ),
                name="consultations_host_kind_matches_owner",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(kind=HostKind.CONCIERGE),
                name="consultations_host_one_per_concierge",
            ),
            models.UniqueConstraint(
                fields=["clinic"],
                condition=models.Q(kind=HostKind.CLINIC, doctor__isnull=True),
                name="consultations_host_one_general_per_clinic",
            ),
            models.UniqueConstraint(
                fields=["clinic", "doctor"],
                condition=models.Q(doctor__isnull=False),
                name="consultations_host_one_per_doctor",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        doctor = self.doctor if self.doctor_id else None
        if doctor is not None and self.clinic_id and doctor.clinic_id != self.clinic_id:
            raise ValidationError({"doctor": _("The doctor must belong to the host's clinic.")})

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(str(self.time_zone))

    @property
    def place(self) -> str:
        """Where the host's clock is, in words ("Bogota"): the clinic's city, else the zone's."""
        clinic = self.clinic if self.clinic_id is not None else None
        if clinic is not None and clinic.city:
            return str(clinic.city)
        return str(self.time_zone).rsplit("/", 1)[-1].replace("_", " ")

    @property
    def is_concierge(self) -> bool:
        return self.kind == HostKind.CONCIERGE


class AvailabilityRule(models.Model):
    """Every <weekday>, from <start> to <end> host-local time (optionally between two dates)."""

    host = models.ForeignKey(
        Host, verbose_name=_("host"), on_delete=models.CASCADE, related_name="rules"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from (host's local time)"))
    end_time = models.TimeField(_("until (host's local time)"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        ordering = ["host", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="consultations_availabilityrule_weekday_range",
            ),
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="consultations_availabilityrule_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="consultations_availabilityrule_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("The end must be after the start.")})
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The last day must not be before the first.")})


class DateException(models.Model):
    """A host-local date (or part of it) with no consultations: a holiday, out of office."""

    host = models.ForeignKey(
        Host, verbose_name=_("host"), on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(_("date"))
    # Both empty: the whole day. Both set: only that part of the day is off.
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("date exception")
        verbose_name_plural = _("date exceptions")
        ordering = ["host", "date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_time__isnull=True, end_time__isnull=True)
                | models.Q(
                    start_time__isnull=False,
                    end_time__isnull=False,
                    end_time__gt=models.F("start_time"),
                ),
                name="consultations_dateexception_whole_day_or_span",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()

    def clean(self) -> None:
        super().clean()
        if (self.start_time is None) != (self.end_time is None):
            raise ValidationError(_("Give both times, or neither for the whole day."))
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("The end must be after the start.")})

    @property
    def whole_day(self) -> bool:
        return self.start_time is None
