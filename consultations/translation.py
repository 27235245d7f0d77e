"""Consultation types in the patient's language (django-modeltranslation, as conditions are:
clinics/translation.py, docs/i18n.md).

Patients choose "Free first consultation" or "Video consultation with a doctor" from this
list, so names and descriptions get a column per language on the same row; English is
required and is what a missing Spanish or Arabic text falls back to. Host names are the
names of people and clinics and stay as entered.
"""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from .models import ConsultationType


@register(ConsultationType)
class ConsultationTypeTranslationOptions(TranslationOptions):
    fields = ("name", "description")
    required_languages = ("en",)
