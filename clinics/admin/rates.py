"""Exchange rates in the admin: staff keep the ``staff`` rates; a provider's are read-only.

Saving the staff rates reprices every offering's USD equivalents through the
service (``exchange_rates_staff_saved``), which writes the audit row. Where a
provider key is configured, beat fetches its rates daily and they win; staff
rates then only cover currencies the provider lacks.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from djmoney.contrib.exchange.models import Rate

from ..models import ExchangeRateSource
from ..money import CURRENCY_CHOICES, STAFF_BACKEND, USD
from ..services.rates import exchange_rates_staff_saved
from .base import ConciergeAdminMixin, acting, is_concierge

# django-money registers its own Rate admin, whose form cannot say which source a
# rate belongs to; ours below replaces it.
if admin.site.is_registered(Rate):
    admin.site.unregister(Rate)


class RateForm(forms.ModelForm):
    currency = forms.ChoiceField(
        label=_("currency"), choices=[(c, label) for c, label in CURRENCY_CHOICES if c != USD]
    )

    class Meta:
        model = Rate
        fields = ("currency", "value")
        labels = {"value": _("units per US dollar")}
        help_texts = {"value": _("How much of this currency one US dollar buys, e.g. 18.18 MXN.")}

    def clean_value(self) -> Any:
        value = self.cleaned_data["value"]
        if value is None or value <= 0:
            raise forms.ValidationError(_("Enter a positive rate."))
        return value


class RateInline(admin.TabularInline):
    model = Rate
    form = RateForm
    fk_name = "backend"
    extra = 1
    ordering = ("currency",)

    def _editable(self, request: HttpRequest, obj: Any) -> bool:
        return is_concierge(request) and (obj is None or obj.name == STAFF_BACKEND)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)


@admin.register(ExchangeRateSource)
class ExchangeRateSourceAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    # django-money's fields carry no verbose names, so their labels would stay English in
    # every language: each is shown through a method that names it.
    list_display = ("source_name", "source_base_currency", "source_last_update", "rate_count")
    readonly_fields = ("source_name", "source_base_currency", "source_last_update")
    fields = readonly_fields
    inlines = (RateInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExchangeRateSource]:
        return super().get_queryset(request).annotate(n_rates=Count("rates"))

    @admin.display(description=_("name"), ordering="name")
    def source_name(self, obj: ExchangeRateSource) -> str:
        return obj.name

    @admin.display(description=_("base currency"), ordering="base_currency")
    def source_base_currency(self, obj: ExchangeRateSource) -> str:
        return obj.base_currency

    @admin.display(description=_("last update"), ordering="last_update")
    def source_last_update(self, obj: ExchangeRateSource) -> Any:
        return obj.last_update

    @admin.display(description=_("rates"), ordering="n_rates")
    def rate_count(self, obj: ExchangeRateSource) -> int:
        return int(getattr(obj, "n_rates", 0))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # One staff source, created on first use; providers create their own. A second
        # one is refused by the form (the name is the key), so no query is needed here:
        # the admin asks this on every page, for its navigation.
        return is_concierge(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.name, obj.base_currency = STAFF_BACKEND, USD
        super().save_model(request, obj, form, change)  # stamps last_update: the rate day

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if form.instance.name != STAFF_BACKEND:
            return
        result = exchange_rates_staff_saved(acting_user=acting(request))
        message = _("%(count)d offering prices recomputed in US dollars.") % {
            "count": result.repriced
        }
        self.message_user(request, message, messages.SUCCESS)
        if result.without_rate:
            self.message_user(
                request,
                _("No rate yet for %(codes)s: those offerings keep their last USD figures.")
                % {"codes": ", ".join(result.without_rate)},
                messages.WARNING,
            )
