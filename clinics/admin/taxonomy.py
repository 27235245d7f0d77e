"""The condition taxonomy in the admin: every language side by side, gaps in plain sight.

Patients read condition names in their own language (clinics/translation.py). The
change form shows the English, Spanish and Arabic name one under the other
(django-modeltranslation's ``TranslationAdmin``); the list shows each language in a
column and says which are missing, and a filter lists only the rows with a gap.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from ..models import Condition
from ..public_cache import public_pages_changed
from .base import ConciergeAdminMixin

LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)


def missing_languages(condition: Condition) -> list[str]:
    """Language codes whose name is empty on this row (English is required, so never)."""
    return [code for code in LANGUAGE_CODES if not getattr(condition, f"name_{code}", None)]


def _missing_q(code: str) -> Q:
    return Q(**{f"name_{code}__isnull": True}) | Q(**{f"name_{code}": ""})


class MissingTranslationFilter(admin.SimpleListFilter):
    title = _("translation")
    parameter_name = "missing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("any", _("Missing a language")),
            *[
                (code, _("Missing %(language)s") % {"language": get_language_info(code)["name"]})
                for code in LANGUAGE_CODES
            ],
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Condition]) -> QuerySet[Condition]:
        value = self.value()
        if value == "any":
            q = Q()
            for code in LANGUAGE_CODES:
                q |= _missing_q(code)
            return queryset.filter(q)
        if value in LANGUAGE_CODES:
            return queryset.filter(_missing_q(value))
        return queryset


@admin.register(Condition)
class ConditionAdmin(ConciergeAdminMixin, TranslationAdmin, SimpleHistoryAdmin):  # type: ignore[misc]
    allow_add = True
    list_display = (
        *(f"name_{code}" for code in LANGUAGE_CODES),
        "category",
        "is_active",
        "missing_display",
    )
    list_filter = (MissingTranslationFilter, "category", "is_active")
    search_fields = tuple(f"name_{code}" for code in LANGUAGE_CODES)
    prepopulated_fields = {"slug": ("name_en",)}

    def save_model(self, request: HttpRequest, obj: Condition, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        public_pages_changed()  # condition names are on the directory's filter and profiles

    @admin.display(description=_("missing translations"))
    def missing_display(self, obj: Condition) -> str:
        missing = missing_languages(obj)
        if not missing:
            return "-"
        names = ", ".join(str(get_language_info(code)["name_translated"]) for code in missing)
        return format_html('<strong class="sc-missing">{}</strong>', names)
