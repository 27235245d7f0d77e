"""The condition taxonomy shared by clinics (offerings) and intake (patients)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager

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

    # What django-modeltranslation would patch in anyway, stated so type checkers see it:
    # lookups on ``name`` go to the active language's column.
    objects: MultilingualManager[Condition] = MultilingualManager()

    if TYPE_CHECKING:
        # One column per language, added by django-modeltranslation (clinics/translation.py);
        # ``name`` reads the active language's, falling back to English.
        name_en: str | None
        name_es: str | None
        name_ar: str | None

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name
