"""How a case reads in the admin: the queue's columns and the case page's computed fields.

A mixin of display methods only, so ``CaseAdmin`` keeps the queue's behaviour
(queryset, permissions, commands) and this module keeps its looks. The queue
draws every column for each of its rows, so a column's per-row cost shows in
the ``admin_list`` benchmark (bench/).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from clinics.models import ConditionCategory

from ..models import Case
from .summary import Badge, badges_html, flag_badges

# A condition's category label, looked up per row without Django's get_FOO_display
# (which rebuilds a hashable copy of the choices, translating every label, each call).
CATEGORY_LABELS: dict[str, str | Promise] = dict(ConditionCategory.choices)


def _badges(obj: Case) -> list[Badge]:
    """The row's flag badges, worked out once for the alert and flags columns."""
    badges: list[Badge] | None = getattr(obj, "_queue_badges", None)
    if badges is None:
        badges = flag_badges(obj.triage_flags)
        obj._queue_badges = badges  # type: ignore[attr-defined]
    return badges


class CaseColumnsMixin:
    """The ``list_display`` columns and the read-only fields the fieldsets name."""

    # --- columns --------------------------------------------------------------
    def action_checkbox(self, obj: Case) -> str:
        # Django's own markup, written directly: Django renders a CheckboxInput widget
        # through the template engine for every row (a quarter of a row's cost).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(str(_("Select this object for an action - {}")), str(obj)),
        )

    @admin.display(description=_("alert"), ordering="-has_hard_contraindication")
    def alert_display(self, obj: Case) -> str:
        alerts = [b for b in _badges(obj) if b.level == "alert"]
        if obj.has_hard_contraindication and not alerts:
            return format_html(
                '<span class="sc-badge sc-badge-alert">{}</span>', _("Hard contraindication")
            )
        return badges_html(alerts) if alerts else ""

    @admin.display(description=_("patient"), ordering="patient__full_name")
    def patient_display(self, obj: Case) -> str:
        return obj.patient.full_name

    @admin.display(description=_("age"), ordering="-patient__date_of_birth")
    def age_display(self, obj: Case) -> str:
        age = obj.patient.age
        return "-" if age is None else str(age)

    @admin.display(description=_("condition"), ordering="condition__name")
    def condition_display(self, obj: Case) -> str:
        if obj.condition is not None:
            return format_html(
                '{}<br><span class="sc-muted">{}</span>',
                obj.condition.name,
                CATEGORY_LABELS.get(obj.condition.category, obj.condition.category),
            )
        return obj.condition_other or "-"

    @admin.display(description=_("severity"), ordering="severity")
    def severity_display(self, obj: Case) -> str:
        return "-" if obj.severity is None else f"{obj.severity}/10"

    @admin.display(description=_("flags"))
    def flags_display(self, obj: Case) -> str:
        others = [b for b in _badges(obj) if b.level != "alert"]
        return badges_html(others, limit=3) if others else "-"

    @admin.display(description=_("imaging / records"), ordering="imaging_count")
    def documents_display(self, obj: Case) -> str:
        imaging = int(getattr(obj, "imaging_count", 0))
        records = int(getattr(obj, "record_count", 0))
        if imaging + records == 0:
            return format_html('<span class="sc-badge sc-badge-caution">{}</span>', _("none"))
        return f"{imaging} / {records}"

    @admin.display(description=_("owner"), ordering="owner__email")
    def owner_display(self, obj: Case) -> str:
        if obj.owner is None:
            return format_html('<span class="sc-muted">{}</span>', _("unassigned"))
        return str(obj.owner)

    # --- read-only detail fields ---------------------------------------------------
    @admin.display(description=_("flags"))
    def triage_flags_display(self, obj: Case) -> str:
        return badges_html(flag_badges(obj.triage_flags)) or "-"

    @admin.display(description=_("patient"))
    def patient_link(self, obj: Case) -> str:
        url = reverse("admin:intake_patient_change", args=[obj.patient_id])
        return format_html(
            '<a href="{}">{}</a> &lt;{}&gt;', url, obj.patient.full_name, obj.patient.email
        )

    @admin.display(description=_("age"))
    def patient_age(self, obj: Case) -> str:
        return str(obj.patient.age)

    @admin.display(description=_("country of residence"))
    def patient_country(self, obj: Case) -> str:
        return str(countries.name(str(obj.patient.country)))

    @admin.display(description=_("countries they would travel to"))
    def countries_display(self, obj: Case) -> str:
        from .summary import countries_label

        return countries_label(obj)
