"""The clinic, who may manage it, and its medical team."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords
from timezone_field import TimeZoneField

from core.languages import CONTENT_LANGUAGES
from core.models import TimeStampedModel
from core.transitions import StatusMachine, TransitionTable

from ..querysets import ClinicQuerySet


class ClinicStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    UNDER_REVIEW = "under_review", _("Under review")
    VETTED = "vetted", _("Vetted")
    SUSPENDED = "suspended", _("Suspended")
    REJECTED = "rejected", _("Rejected")


class ReviewQueueReason(models.TextChoices):
    """Why a clinic sits in the staff review queue (``Clinic.review_requested_at``)."""

    CREDENTIAL_EXPIRED = "credential_expired", _("A required credential expired")
    LEGALITY_CONFLICT = "legality_conflict", _("An offering conflicts with the legality table")
    STAFF = "staff", _("Requested by staff")


# URL segments the clinic portal uses next to /portal/<slug>/: a clinic with one of
# these slugs would be shadowed by (or shadow) another page.
RESERVED_SLUGS = frozenset({"cases", "credential-documents", "new", "admin", "static"})


def validate_clinic_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("This address is reserved; choose another slug."), code="reserved")


class Clinic(StatusMachine, TimeStampedModel):
    """A clinic we know of. Only ``vetted`` clinics are ever public.

    Nothing here can be bought: there is no field a clinic pays for, and the
    directory ranking (``clinics.querysets.DIRECTORY_RANKING``) reads only
    vetting results and patient reviews.
    """

    TRANSITIONS = TransitionTable(
        {
            ClinicStatus.APPLIED: frozenset({ClinicStatus.UNDER_REVIEW, ClinicStatus.REJECTED}),
            ClinicStatus.UNDER_REVIEW: frozenset(
                {ClinicStatus.VETTED, ClinicStatus.REJECTED, ClinicStatus.SUSPENDED}
            ),
            ClinicStatus.VETTED: frozenset({ClinicStatus.SUSPENDED, ClinicStatus.UNDER_REVIEW}),
            ClinicStatus.SUSPENDED: frozenset({ClinicStatus.UNDER_REVIEW, ClinicStatus.REJECTED}),
            ClinicStatus.REJECTED: frozenset({ClinicStatus.UNDER_REVIEW}),
        }
    )

    # Facts our staff checked before publishing: a clinic's edit to one of these
    # becomes a ChangeRequest that staff approve (docs/clinics.md).
    VETTED_FACT_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"name", "country", "city", "accreditation_notes"}
    )
    # Presentation and contact details a clinic may change at once.
    COSMETIC_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "description",
            "content_language",
            "website",
            "languages",
            "time_zone",
            "contact_name",
            "contact_email",
            "contact_phone",
        }
    )
    # Never settable by clinic users, through any path.
    SYSTEM_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "slug",
            "status",
            "status_changed_at",
            "review_requested_at",
            "review_reason",
            "created_at",
            "updated_at",
        }
    )

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=200, unique=True, validators=[validate_clinic_slug]
    )
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=120)
    time_zone = TimeZoneField(_("time zone"), default="UTC")
    languages = models.JSONField(
        _("languages spoken"), default=list, blank=True, help_text=_("ISO 639-1 codes, e.g. en, es")
    )
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(
        _("description"), max_length=5000, validators=[MaxLengthValidator(5000)], blank=True
    )
    # We publish clinic-written text as written; the page says which language it is in.
    content_language = models.CharField(
        _("language of the clinic's texts"),
        max_length=8,
        choices=CONTENT_LANGUAGES,
        default="en",
        help_text=_(
            "The language the description, treatments and team biographies are written in."
        ),
    )
    status = models.CharField(
        _("vetting status"),
        max_length=20,
        choices=ClinicStatus.choices,
        default=ClinicStatus.APPLIED,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    # Private: how the concierge reaches the clinic. Never shown publicly.
    contact_name = models.CharField(_("contact for the concierge"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = PhoneNumberField(_("contact phone"), blank=True)
    accreditation_notes = models.TextField(
        _("accreditation notes"),
        max_length=3000,
        validators=[MaxLengthValidator(3000)],
        blank=True,
        help_text=_("Accreditations and memberships as checked by our staff."),
    )
    # The staff review queue. Set by the credential-expiry job and by staff;
    # cleared when a vetting review is decided. The clinic stays public while
    # queued: what depends on an expired credential already lost its badge.
    review_requested_at = models.DateTimeField(
        _("in the review queue since"), null=True, blank=True, db_index=True
    )
    review_reason = models.CharField(
        _("review queue reason"), max_length=32, choices=ReviewQueueReason.choices, blank=True
    )

    objects = ClinicQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ClinicStatus.values),
                name="clinics_clinic_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(review_requested_at__isnull=True, review_reason="")
                | models.Q(review_requested_at__isnull=False) & ~models.Q(review_reason=""),
                name="clinics_clinic_review_queue_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        languages = self.languages
        if not isinstance(languages, list) or not all(
            isinstance(code, str) and 2 <= len(code) <= 3 and code.isalpha() and code.islower()
            for code in languages
        ):
            raise ValidationError(
                {"languages": _("List languages as ISO 639-1 codes, e.g. en, es.")}
            )

    @property
    def is_public(self) -> bool:
        return self.status == ClinicStatus.VETTED

    @property
    def in_review_queue(self) -> bool:
        return self.review_requested_at is not None


class ClinicMembership(TimeStampedModel):
    """Links a clinic-staff user to the clinic(s) they may manage."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="clinic_memberships",
        verbose_name=_("user"),
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("clinic")
    )

    class Meta:
        verbose_name = _("clinic membership")
        verbose_name_plural = _("clinic memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="clinics_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.clinic}"


class Doctor(TimeStampedModel):
    """A member of a clinic's medical team, as published on its profile."""

    VETTED_FACT_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"full_name", "speciality", "licence_number", "licence_authority"}
    )
    COSMETIC_FIELDS: ClassVar[frozenset[str]] = frozenset({"bio", "display_order"})
    SYSTEM_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"id", "clinic", "is_active", "verified_at", "verified_by", "created_at", "updated_at"}
    )

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="doctors", verbose_name=_("clinic")
    )
    full_name = models.CharField(_("full name"), max_length=150)
    speciality = models.CharField(_("speciality"), max_length=150)
    licence_number = models.CharField(_("licence number"), max_length=80)
    licence_authority = models.CharField(
        _("licensing authority"),
        max_length=150,
        blank=True,
        help_text=_("e.g. Japan Medical Association, COFEPRIS, Medical Council of Thailand"),
    )
    bio = models.TextField(
        _("short biography"), max_length=3000, validators=[MaxLengthValidator(3000)], blank=True
    )
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    # False while a clinic-proposed doctor waits for staff approval, and after removal.
    is_active = models.BooleanField(_("on the published team"), default=False)
    verified_at = models.DateTimeField(_("licence verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("doctor")
        verbose_name_plural = _("medical team")
        ordering = ["clinic", "display_order", "full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "licence_number"], name="clinics_doctor_licence_unique_per_clinic"
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=False) | models.Q(verified_at__isnull=False),
                name="clinics_doctor_active_is_verified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.speciality})"
