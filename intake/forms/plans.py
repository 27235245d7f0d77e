"""Wizard steps about plans and consent."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from clinics.models import Clinic

from ..models import Case, TravelWindow
from .common import PatientFormMixin, bool_initial, clear_answers, require_answers, yes_no

# Destinations named in shared/docs/domain.md; countries of vetted clinics are added.
POPULAR_DESTINATIONS = ["MX", "CO", "CR", "PA", "TH", "JP", "KR", "MY", "IN", "UA", "AE", "US"]


def destination_choices() -> list[tuple[str, str]]:
    codes = set(POPULAR_DESTINATIONS)
    codes |= {str(c) for c in Clinic.objects.public().values_list("country", flat=True)}
    return sorted(((code, str(countries.name(code))) for code in codes), key=lambda c: c[1])


class PlansForm(PatientFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    budget_min_usd = forms.IntegerField(
        label=_("Budget from (US dollars)"),
        required=False,
        min_value=0,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 100}),
    )
    budget_max_usd = forms.IntegerField(
        label=_("Budget up to (US dollars)"),
        required=False,
        min_value=0,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 100}),
        help_text=_(
            "Treatments cost from about USD 1,300 to 50,000. Leave empty if you are not sure."
        ),
    )
    countries_accepted = forms.MultipleChoiceField(
        label=_("Countries you would travel to"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    travel_companion = yes_no(_("Would someone travel with you?"))
    needs_travel_help = yes_no(_("Would you like help with visas or travel?"))
    elsewhere_clinic_website = forms.URLField(
        label=_("Its website (optional)"),
        required=False,
        max_length=300,
        assume_scheme="https",
    )
    wants_clinic_check = forms.BooleanField(
        label=_("I found a clinic elsewhere and would like you to check it"),
        required=False,
    )

    class Meta:
        model = Case
        fields = [
            "budget_min_usd",
            "budget_max_usd",
            "countries_accepted",
            "any_country",
            "travel_window",
            "travel_companion",
            "needs_travel_help",
            "wants_clinic_check",
            "elsewhere_clinic_name",
            "elsewhere_clinic_website",
        ]
        labels = {
            "any_country": _("I would travel to any country"),
            "travel_window": _("When would you like to travel?"),
            "elsewhere_clinic_name": _("Name of that clinic"),
        }
        widgets = {"travel_window": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["countries_accepted"]).choices = destination_choices()
        self.fields["travel_window"].required = True
        cast(forms.ChoiceField, self.fields["travel_window"]).choices = TravelWindow.choices
        self.fields["elsewhere_clinic_website"].widget.attrs["placeholder"] = "https://"
        bool_initial(self, ["travel_companion", "needs_travel_help"])
        if self.instance.elsewhere_clinic_name:
            self.initial["wants_clinic_check"] = True

    def clean_countries_accepted(self) -> list[str]:
        # A choice posted 1,000 times is still one country: keep the stored list bounded.
        return list(dict.fromkeys(self.cleaned_data.get("countries_accepted") or []))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("budget_min_usd"), cleaned.get("budget_max_usd")
        if low is not None and high is not None and low > high:
            self.add_error(
                "budget_max_usd", _("The upper end of the budget must not be below the lower end.")
            )
        if cleaned.get("any_country"):
            cleaned["countries_accepted"] = []
        elif not cleaned.get("countries_accepted") and "countries_accepted" not in self.errors:
            self.add_error(
                "countries_accepted",
                _("Choose at least one country, or tick 'I would travel to any country'."),
            )
        if cleaned.get("wants_clinic_check"):
            require_answers(self, cleaned, "elsewhere_clinic_name")
        else:
            clear_answers(cleaned, "elsewhere_clinic_name", "elsewhere_clinic_website")
        return cleaned


class ConsentForm(PatientFormMixin, forms.Form):
    accept_privacy = forms.BooleanField(
        label=_(
            "I have read the privacy notice and agree that you process my health data "
            "as it describes."
        ),
    )
    # Optional on purpose: consent to share must not be a condition of the assessment
    # (GDPR Art. 7(4)). Each clinic is still shared one by one on the case page.
    share_with_chosen_clinics = forms.BooleanField(
        required=False,
        label=_("I agree that you share my case with the clinics I choose later, and only those."),
        help_text=_(
            "You choose each clinic on your case page and can withdraw access at any time."
        ),
    )
