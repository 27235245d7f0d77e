"""Independent patient reviews, published good or bad."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.languages import CONTENT_LANGUAGES
from core.models import TimeStampedModel

from .clinic import Clinic


class ReviewStatus(models.TextChoices):
    AWAITING_VERIFICATION = "awaiting", _("Awaiting treatment verification")
    PUBLISHED = "published", _("Published")
    REMOVED = "removed", _("Removed by moderation")


class ModerationReason(models.TextChoices):
    """The only grounds for removing a review. A low rating is not one of them."""

    ABUSE = "abuse", _("Abusive or threatening language")
    PHI = "phi", _("Contains personal health information of someone identifiable")
    NOT_A_PATIENT = "not_a_patient", _("The author was not treated at this clinic")


class ReviewStage(models.TextChoices):
    """When the patient wrote it: the experience soon after treatment, or the outcome months on."""

    EXPERIENCE = "experience", _("The experience of treatment")
    OUTCOME = "outcome", _("The result, months later")


class Review(TimeStampedModel):
    """One patient's review of a clinic where they completed a treatment.

    Published whether positive or negative. Before consultations records
    treatments, staff confirm the treatment by hand (``treatment_verified_*``);
    afterwards the consultations app passes ``treatment_ref`` (an opaque
    "app.model:pk" string: clinics may not import a higher layer).
    """

    # Clinics may never set any of these (mass-assignment guard for the portal).
    SYSTEM_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "clinic",
            "author",
            "stage",
            "rating",
            "body",
            "language",
            "status",
            "treatment_ref",
            "treatment_verified_at",
            "treatment_verified_by",
            "moderation_reason",
            "moderation_note",
            "moderated_at",
            "moderated_by",
            "created_at",
            "updated_at",
        }
    )

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("clinic")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clinic_reviews",
    )
    stage = models.CharField(
        _("written about"),
        max_length=10,
        choices=ReviewStage.choices,
        default=ReviewStage.EXPERIENCE,
    )
    author_display_name = models.CharField(
        _("shown as"), max_length=60, help_text=_("e.g. 'Maria, 58, Canada'. Never an e-mail.")
    )
    rating = models.PositiveSmallIntegerField(
        _("rating (1-5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    body = models.TextField(_("review"), max_length=5000, validators=[MaxLengthValidator(5000)])
    # The patient's own words, published untranslated; the page says which language.
    language = models.CharField(
        _("language of the review"), max_length=8, choices=CONTENT_LANGUAGES, default="en"
    )
    treatment_ref = models.CharField(_("treatment record"), max_length=64, blank=True)
    treatment_verified_at = models.DateTimeField(_("treatment verified"), null=True, blank=True)
    treatment_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("treatment verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ReviewStatus.choices,
        default=ReviewStatus.AWAITING_VERIFICATION,
        db_index=True,
    )
    moderation_reason = models.CharField(
        _("moderation reason"), max_length=16, choices=ModerationReason.choices, blank=True
    )
    moderation_note = models.CharField(_("moderation note"), max_length=300, blank=True)
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reply_body = models.TextField(
        _("clinic's reply"), max_length=3000, validators=[MaxLengthValidator(3000)], blank=True
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["body", "reply_body"])

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5),
                name="clinics_review_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ReviewStatus.PUBLISHED)
                | models.Q(treatment_verified_at__isnull=False),
                name="clinics_review_published_needs_verified_treatment",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ReviewStatus.REMOVED)
                | ~models.Q(moderation_reason="") & models.Q(moderated_at__isnull=False),
                name="clinics_review_removed_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(reply_body="", replied_at__isnull=True)
                | ~models.Q(reply_body="") & models.Q(replied_at__isnull=False),
                name="clinics_review_reply_has_time",
            ),
            # One about the experience and one about the outcome, per patient and clinic.
            models.UniqueConstraint(
                fields=["clinic", "author", "stage"],
                name="clinics_review_one_per_author_clinic_and_stage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 - {self.clinic} - {self.author_display_name}"

    @property
    def is_public(self) -> bool:
        return self.status == ReviewStatus.PUBLISHED
