"""Reference data translated in the database (django-modeltranslation).

Patients pick their own illness from this list on the intake's second step and read
it on every clinic profile, so it must be in their language. Each registered field
gets a column per language (``name_en``, ``name_es``, ``name_ar``) on the same row:
no join and no extra query, so list pages keep their pinned query counts. Reading
``condition.name`` gives the active language, falling back to English when a
translation is missing (the admin lists what is missing). Categories are
``TextChoices`` and go through the gettext catalogues like any other label.
"""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from .models import Condition


@register(Condition)
class ConditionTranslationOptions(TranslationOptions):
    fields = ("name",)
    # English is the reference every other language falls back to: it must be there.
    required_languages = ("en",)
