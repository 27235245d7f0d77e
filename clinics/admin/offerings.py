"""Offerings (with legality and badge flags) and the legality table in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.audit import audit_event_record
from core.exceptions import DomainError

from ..models import Compliance, LegalityRule, Offering
from ..money import USD, about_usd
from ..public_cache import public_pages_changed
from ..services import offering_staff_save, offering_withdraw
from .base import ConciergeAdminMixin, acting, is_insider, run_each


class ComplianceFilter(admin.SimpleListFilter):
    title = _("legality")
    parameter_name = "legality"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Compliance.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Offering]) -> QuerySet[Offering]:
        if self.value() in Compliance.values:
            return queryset.filter(compliance=self.value())  # type: ignore[misc]  # annotated
        return queryset


@admin.register(Offering)
class OfferingAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    allow_add = True
    list_display = (
        "title",
        "clinic",
        "cell_type",
        "origin",
        "dose_display",
        "price_display",
        "status",
        "compliance_display",
        "badge_display",
    )
    list_filter = (
        "status",
        ComplianceFilter,
        "cell_type",
        "origin",
        "manipulation",
        "clinic__country",
    )
    list_select_related = ("clinic",)
    search_fields = ("title", "clinic__name")
    autocomplete_fields = ("clinic",)
    filter_horizontal = ("conditions",)
    readonly_fields = (
        "price_min_usd",
        "price_max_usd",
        "price_usd_rate_on",
        "compliance_display",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("clinic", "title", "summary", "status", "conditions")}),
        (
            _("Cells"),
            {
                "fields": (
                    "cell_type",
                    "cell_source",
                    "origin",
                    "manipulation",
                    "cell_count_millions",
                    "volume_ml",
                    "viability_percent",
                )
            },
        ),
        (_("Treatment"), {"fields": ("route", "sessions", "typical_stay_nights", "included")}),
        (
            _("Price"),
            {
                "fields": (
                    "price_currency",
                    "price_min",
                    "price_max",
                    "price_min_usd",
                    "price_max_usd",
                    "price_usd_rate_on",
                )
            },
        ),
        (_("Checks"), {"fields": ("compliance_display",)}),
    )
    actions = ("withdraw",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Offering]:
        qs = super().get_queryset(request)
        return qs.with_compliance().with_badge()  # type: ignore[attr-defined, no-any-return]

    @admin.display(description=_("dose"))
    def dose_display(self, obj: Offering) -> str:
        parts = []
        if obj.cell_count_millions is not None:
            parts.append(_("%(n)s M cells") % {"n": obj.cell_count_millions})
        if obj.volume_ml is not None:
            parts.append(_("%(n)s mL") % {"n": obj.volume_ml})
        return " / ".join(str(p) for p in parts)

    @admin.display(description=_("price"), ordering="price_min_usd")
    def price_display(self, obj: Offering) -> str:
        own = f"{obj.price_currency} {obj.price_min:,.0f}-{obj.price_max:,.0f}"
        if obj.price_currency == USD:
            return own
        usd = about_usd(
            obj.price_min_usd, obj.price_max_usd, obj.price_currency, obj.price_usd_rate_on
        )
        return format_html("{}<br><small>{}</small>", own, usd)

    @admin.display(description=_("legality"), ordering="compliance")
    def compliance_display(self, obj: Offering) -> str:
        value = getattr(obj, "compliance", None)
        if value is None:
            value = Offering.objects.with_compliance().get(pk=obj.pk).compliance if obj.pk else ""
        return str(Compliance(value).label) if value else "-"

    @admin.display(description=_("badge"), boolean=True)
    def badge_display(self, obj: Offering) -> bool:
        return bool(getattr(obj, "has_verified_badge", False))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not (
            obj is not None and is_insider(request, obj.clinic_id)
        )

    def save_model(self, request: HttpRequest, obj: Offering, form: Any, change: bool) -> None:
        try:
            offering_staff_save(
                offering=obj,
                changed_fields=form.changed_data,
                acting_user=acting(request),
                request=request,
            )
        except DomainError as exc:  # staff adding to a clinic they belong to
            raise PermissionDenied(str(exc.message)) from exc

    @admin.action(description=_("Withdraw from the public profile"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Offering]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda o: offering_withdraw(offering=o, acting_user=acting(request), request=request),
            str(_("%(count)d offering(s) withdrawn.")),
        )


@admin.register(LegalityRule)
class LegalityRuleAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    """The country x cells table. Offerings that conflict show up in the offering filter."""

    allow_add = True
    allow_delete = True
    list_display = (
        "country",
        "cell_type",
        "origin",
        "cell_source",
        "legality",
        "note",
        "updated_by",
        "updated_at",
    )
    list_filter = ("legality", "country", "cell_type", "origin")
    list_select_related = ("updated_by",)
    search_fields = ("note", "reference")
    readonly_fields = ("updated_by", "updated_at")

    def save_model(self, request: HttpRequest, obj: LegalityRule, form: Any, change: bool) -> None:
        obj.updated_by = acting(request)
        obj.full_clean()
        obj.save()
        public_pages_changed()  # offerings show a note where they conflict with the table
        audit_event_record(
            action="clinics.legality_rule.saved",
            acting_user=acting(request),
            target=obj,
            request=request,
            data={
                "country": str(obj.country),
                "cell_type": obj.cell_type,
                "origin": obj.origin,
                "cell_source": obj.cell_source,
                "legality": obj.legality,
                "fields": form.changed_data,
            },
        )

    def delete_model(self, request: HttpRequest, obj: LegalityRule) -> None:
        audit_event_record(
            action="clinics.legality_rule.deleted",
            acting_user=acting(request),
            target=obj,
            request=request,
            data={"country": str(obj.country), "legality": obj.legality},
        )
        obj.delete()
        public_pages_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[LegalityRule]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
