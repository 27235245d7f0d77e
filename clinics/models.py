"""Clinics: the base domain every other app builds on."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords
from timezone_field import TimeZoneField

from core.models import TimeStampedModel


class ConditionCategory(models.TextChoices):
    ORTHOPEDIC = "orthopedic", _("Orthopedic")
    COSMETIC = "cosmetic", _("Cosmetic and anti-aging")
    NEUROLOGICAL = "neurological", _("Neurological")
    AUTOIMMUNE = "autoimmune", _("Autoimmune")
    CARDIOVASCULAR = "cardiovascular", _("Cardiovascular")
    METABOLIC = "metabolic", _("Metabolic")
    PULMONARY = "pulmonary", _("Pulmonary")
    OTHER = "other", _("Other")


class Condition(TimeStampedModel):
    """One entry of the condition taxonomy shared by clinics and intake."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=ConditionCategory.choices)
    is_active = models.BooleanField(_("offered in the intake"), default=True)

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name


class ClinicStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    UNDER_REVIEW = "under_review", _("Under review")
    VETTED = "vetted", _("Vetted")
    SUSPENDED = "suspended", _("Suspended")
    REJECTED = "rejected", _("Rejected")


class Clinic(TimeStampedModel):
    """A clinic we know of. Only ``vetted`` clinics are ever public."""

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        ClinicStatus.APPLIED: frozenset({ClinicStatus.UNDER_REVIEW, ClinicStatus.REJECTED}),
        ClinicStatus.UNDER_REVIEW: frozenset(
            {ClinicStatus.VETTED, ClinicStatus.REJECTED, ClinicStatus.SUSPENDED}
        ),
        ClinicStatus.VETTED: frozenset({ClinicStatus.SUSPENDED, ClinicStatus.UNDER_REVIEW}),
        ClinicStatus.SUSPENDED: frozenset({ClinicStatus.UNDER_REVIEW, ClinicStatus.REJECTED}),
        ClinicStatus.REJECTED: frozenset({ClinicStatus.UNDER_REVIEW}),
    }

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=120)
    time_zone = TimeZoneField(_("time zone"), default="UTC")
    languages = models.JSONField(
        _("languages spoken"), default=list, blank=True, help_text=_("ISO 639-1 codes, e.g. en, es")
    )
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("vetting status"), max_length=20, choices=ClinicStatus.choices,
        default=ClinicStatus.APPLIED, db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ClinicStatus.values), name="clinics_clinic_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def can_transition_to(self, new_status: str) -> bool:
        return new_status in self.TRANSITIONS.get(self.status, frozenset())

    @property
    def is_public(self) -> bool:
        return self.status == ClinicStatus.VETTED


class ClinicMembership(TimeStampedModel):
    """Links a clinic-staff user to the clinic(s) they may manage."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinic_memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name = _("clinic membership")
        verbose_name_plural = _("clinic memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="clinics_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.clinic}"
