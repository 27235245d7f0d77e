"""The patient: who they are and how to reach them. No login: magic links only."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords
from timezone_field import TimeZoneField

from core.models import TimeStampedModel
from core.privacy import holds_patient_data

# Nobody alive was born before this; an earlier date is a typo (or a probe).
EARLIEST_BIRTH_YEAR = 1900


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    INTERSEX = "intersex", _("Intersex")
    UNDISCLOSED = "undisclosed", _("Prefer not to say")


@holds_patient_data()
class Patient(TimeStampedModel):
    """A person who started an intake. One patient may have several cases."""

    # Optional link to a login (tests' personas; a future patient account).
    # Patients normally have no account and reach their case by magic link.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient_profile",
    )
    full_name = models.CharField(_("full name"), max_length=150)
    email = models.EmailField(_("email address"), db_index=True)
    phone = PhoneNumberField(_("phone number"), blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices)
    country = CountryField(_("country of residence"))
    time_zone = TimeZoneField(_("time zone"), default="UTC")
    language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Language of our emails and pages."),
    )
    spoken_languages = models.JSONField(
        _("languages spoken"),
        default=list,
        blank=True,
        help_text=_("ISO 639-1 codes, e.g. en, es; used to match clinics."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sex__in=Sex.values), name="intake_patient_sex_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(date_of_birth__gte=datetime.date(EARLIEST_BIRTH_YEAR, 1, 1)),
                name="intake_patient_dob_plausible",
            ),
        ]
        # The triage queue's country filter walks this index (intake.admin.filters). Its
        # search for a name or an e-mail uses trigram indexes on PostgreSQL, made by
        # migration 0008 (they exist on no other database, so they are not listed here).
        indexes = [models.Index(fields=["country"], name="intake_patient_country_idx")]

    def __str__(self) -> str:
        return self.full_name

    def clean(self) -> None:
        super().clean()
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError(
                {"date_of_birth": _("The date of birth cannot be in the future.")}
            )

    @property
    def age(self) -> int | None:
        if not self.date_of_birth:
            return None
        today = timezone.localdate()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
