"""Kinds of consultation a host offers: how long, with what margins, and where."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from .hosts import Host


class Modality(models.TextChoices):
    VIDEO = "video", _("Video call")
    IN_PERSON = "in_person", _("In person")


class VideoLink(models.TextChoices):
    """For a video consultation: the host's own meeting link, or a room made per booking."""

    HOST_LINK = "host_link", _("The host's own meeting link")
    GENERATED_ROOM = "room", _("A private room made for each booking")


class ConsultationTypeQuerySet(models.QuerySet["ConsultationType"]):
    def bookable(self) -> ConsultationTypeQuerySet:
        return self.filter(is_active=True, host__is_active=True)


class ConsultationType(TimeStampedModel):
    """One kind of consultation of one host (e.g. "First video call, 30 min")."""

    host = models.ForeignKey(
        Host, verbose_name=_("host"), on_delete=models.CASCADE, related_name="types"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("what it is for"), max_length=300, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(8 * 60)],
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        _("free time before (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        _("free time after (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    slot_step_minutes = models.PositiveSmallIntegerField(
        _("start times every (minutes)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        _("minimum booking notice (hours)"), default=12
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("bookable up to (days ahead)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    min_change_notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice to cancel or reschedule (hours)"), default=24
    )
    modality = models.CharField(
        _("video or in person"), max_length=10, choices=Modality.choices, default=Modality.VIDEO
    )
    video_link = models.CharField(
        _("video link"),
        max_length=10,
        choices=VideoLink.choices,
        blank=True,
        default=VideoLink.GENERATED_ROOM,
    )
    meeting_url = models.URLField(_("host's meeting link"), blank=True)
    location = models.CharField(_("address"), max_length=300, blank=True)
    # Patients must confirm with the host first; otherwise a booking is confirmed at once.
    requires_confirmation = models.BooleanField(_("host confirms each booking"), default=False)
    price_usd = models.DecimalField(
        _("price (USD)"),
        max_digits=9,
        decimal_places=2,
        default=0,
        help_text=_("0 means free. Concierge consultations are always free."),
    )
    is_active = models.BooleanField(_("bookable"), default=True)

    # Names and descriptions are translated (consultations/translation.py): lookups on
    # ``name`` go to the active language's column, as django-modeltranslation would patch in.
    objects = MultilingualManager.from_queryset(ConsultationTypeQuerySet)()
    # The per-language columns arrive after the history model is built: keep them out of it
    # (the history records ``name`` and ``description`` as they were saved).
    history = HistoricalRecords(
        excluded_fields=[
            f"{field}_{code}"
            for field in ("name", "description")
            for code, _name in settings.LANGUAGES
        ]
    )

    if TYPE_CHECKING:
        # One column per language, added by django-modeltranslation.
        name_en: str | None
        name_es: str | None
        name_ar: str | None
        description_en: str | None
        description_es: str | None
        description_ar: str | None

    class Meta:
        verbose_name = _("consultation type")
        verbose_name_plural = _("consultation types")
        ordering = ["host", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(modality__in=Modality.values),
                name="consultations_type_modality_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5),
                name="consultations_type_duration_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(slot_step_minutes__gte=5),
                name="consultations_type_step_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(price_usd__gte=0), name="consultations_type_price_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(modality=Modality.IN_PERSON) | ~models.Q(location=""),
                name="consultations_type_in_person_has_address",
            ),
            models.CheckConstraint(
                condition=~models.Q(modality=Modality.VIDEO, video_link=VideoLink.HOST_LINK)
                | ~models.Q(meeting_url=""),
                name="consultations_type_host_link_has_url",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, object] = {}
        if self.modality == Modality.IN_PERSON and not self.location.strip():
            errors["location"] = _("An in-person consultation needs an address.")
        if self.modality == Modality.VIDEO:
            if not self.video_link:
                errors["video_link"] = _("Choose how the video call is reached.")
            elif self.video_link == VideoLink.HOST_LINK and not self.meeting_url:
                errors["meeting_url"] = _("Give the meeting link, or choose a private room.")
        host = self.host if self.host_id else None
        if host is not None and host.is_concierge and self.price_usd:
            errors["price_usd"] = _("Concierge consultations are free.")
        if errors:
            raise ValidationError(errors)

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)

    @property
    def is_free(self) -> bool:
        return not self.price_usd
