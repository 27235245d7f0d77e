"""What each country allows, by cell type, origin and source; edited by staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from .offering import CellOrigin, CellSource, CellType


class Legality(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    RESTRICTED = "restricted", _("Allowed under a licence or framework")
    NOT_ALLOWED = "not_allowed", _("Not allowed")


class Compliance(models.TextChoices):
    """How an offering reads against the table (annotated, never stored)."""

    COMPLIANT = "compliant", _("Matches the country's rules")
    UNKNOWN = "unknown", _("No rule on file")
    CONFLICT = "conflict", _("Conflicts with the country's rules")


class LegalityRule(TimeStampedModel):
    """One row of the country x cell type x origin x source table.

    An empty ``cell_type``, ``origin`` or ``cell_source`` means "any". An offering
    conflicts when ANY matching rule says not allowed; it is compliant only when
    a matching rule says allowed (or restricted) and none says not allowed. With
    no matching rule it is "unknown", which is never shown as compliant.
    """

    country = CountryField(_("country"))
    cell_type = models.CharField(
        _("cell type"),
        max_length=16,
        choices=CellType.choices,
        blank=True,
        help_text=_("Empty means any cell type."),
    )
    origin = models.CharField(
        _("origin"),
        max_length=12,
        choices=CellOrigin.choices,
        blank=True,
        help_text=_("Empty means autologous and allogeneic."),
    )
    cell_source = models.CharField(
        _("cell source"),
        max_length=20,
        choices=CellSource.choices,
        blank=True,
        help_text=_("Empty means any source."),
    )
    legality = models.CharField(_("legality"), max_length=12, choices=Legality.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reference = models.CharField(
        _("reference"),
        max_length=300,
        blank=True,
        help_text=_("The law, regulator page or framework this rule rests on."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legality rule")
        verbose_name_plural = _("legality table")
        ordering = ["country", "cell_type", "origin", "cell_source"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "cell_type", "origin", "cell_source"],
                name="clinics_legalityrule_one_per_combination",
            ),
            models.CheckConstraint(
                condition=models.Q(legality__in=Legality.values),
                name="clinics_legalityrule_legality_valid",
            ),
        ]

    def __str__(self) -> str:
        parts = [
            self.get_cell_type_display() or str(_("any cells")),
            self.get_origin_display() or str(_("any origin")),
            self.get_cell_source_display() or str(_("any source")),
        ]
        return f"{self.country}: {', '.join(parts)} = {self.get_legality_display()}"
