"""A patient's answers to one check-in, saved page by page so nothing is lost."""

from __future__ import annotations

from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.privacy import holds_patient_data

from ..instruments import CareVisit, Pgic


@holds_patient_data(subject="check_in__schedule__case")
class CheckInAnswer(models.Model):
    check_in = models.OneToOneField(
        "followups.CheckIn",
        verbose_name=_("check-in"),
        on_delete=models.CASCADE,
        related_name="answer",
    )
    pain_now = models.PositiveSmallIntegerField(
        _("pain now (0-10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    pgic = models.PositiveSmallIntegerField(
        _("impression of change"), null=True, blank=True, choices=Pgic.choices
    )
    function_limit = models.PositiveSmallIntegerField(
        _("limits in daily life (0-10)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
    )
    # SideEffect -> Severity (0-3); and which of them are still there.
    side_effects = models.JSONField(_("side effects"), default=dict, blank=True)
    still_present = models.JSONField(_("still present"), default=list, blank=True)
    fever_over_48h = models.BooleanField(_("fever for more than 48 hours"), default=False)
    spreading_redness = models.BooleanField(_("redness that spreads"), default=False)
    pus_or_discharge = models.BooleanField(_("pus or fluid at the site"), default=False)
    care_visit = models.CharField(
        _("doctor or hospital visit"), max_length=10, choices=CareVisit.choices, blank=True
    )
    anything_else = models.TextField(
        _("anything else"), blank=True, max_length=2000, validators=[MaxLengthValidator(2000)]
    )
    contact_me = models.BooleanField(_("would like the concierge to contact them"), default=False)
    sane_score = models.PositiveSmallIntegerField(
        _("joint function today (0-100)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    pages_saved = models.PositiveSmallIntegerField(_("pages saved"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("check-in answer")
        verbose_name_plural = _("check-in answers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pain_now__isnull=True) | models.Q(pain_now__lte=10),
                name="followups_answer_pain_range",
            ),
            models.CheckConstraint(
                condition=models.Q(pgic__isnull=True) | models.Q(pgic__gte=1, pgic__lte=7),
                name="followups_answer_pgic_range",
            ),
            models.CheckConstraint(
                condition=models.Q(function_limit__isnull=True) | models.Q(function_limit__lte=10),
                name="followups_answer_function_range",
            ),
            models.CheckConstraint(
                condition=models.Q(sane_score__isnull=True) | models.Q(sane_score__lte=100),
                name="followups_answer_sane_range",
            ),
        ]

    def __str__(self) -> str:
        return f"answers to {self.check_in_id}"
