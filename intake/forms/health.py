"""Wizard steps about health: medical history and contraindication screening."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import AlcoholUse, CancerHistory, Case, ImmuneCompromise, SmokingStatus
from ..models.patient import EARLIEST_BIRTH_YEAR
from ..steps import CASE_FIELDS
from .common import PatientFormMixin, bool_initial, clear_answers, require_answers, yes_no


class HistoryForm(PatientFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    takes_nsaids = yes_no(
        _(
            "Do you take NSAIDs (anti-inflammatory painkillers such as ibuprofen, naproxen, "
            "diclofenac or aspirin)?"
        )
    )
    takes_immunosuppressants = yes_no(
        _(
            "Do you take immunosuppressants (for example methotrexate, azathioprine, "
            "tacrolimus, or steroids such as prednisone)?"
        )
    )
    takes_anticoagulants = yes_no(
        _(
            "Do you take anticoagulants or blood thinners (for example warfarin, apixaban, "
            "rivaroxaban, clopidogrel)?"
        )
    )
    had_cell_therapy = yes_no(_("Have you had stem-cell or PRP treatment before?"))
    cell_therapy_adverse = yes_no(_("Did you have a bad reaction to it?"), required=False)

    FOLLOW_UPS = {
        "takes_nsaids": ["nsaids_details"],
        "takes_immunosuppressants": ["immunosuppressants_details"],
        "takes_anticoagulants": ["anticoagulants_details"],
        "had_cell_therapy": [
            "cell_therapy_where",
            "cell_therapy_when",
            "cell_therapy_result",
            "cell_therapy_adverse",
        ],
    }

    class Meta:
        model = Case
        fields = CASE_FIELDS["history"]
        labels = {
            "other_conditions": _("Other health conditions you have"),
            "current_medications": _("All medicines and supplements you take now"),
            "nsaids_details": _("Which, and how often?"),
            "immunosuppressants_details": _("Which, and what dose?"),
            "anticoagulants_details": _("Which, and what dose?"),
            "allergies": _("Allergies (medicines, foods, latex...)"),
            "surgeries": _("Operations you have had, with the year"),
            "cell_therapy_where": _("Where (clinic and country)?"),
            "cell_therapy_when": _("When?"),
            "cell_therapy_result": _("What was the result?"),
        }
        widgets = {
            "other_conditions": forms.Textarea(attrs={"rows": 2}),
            "current_medications": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "surgeries": forms.Textarea(attrs={"rows": 2}),
            "cell_therapy_result": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bool_initial(self, [*self.FOLLOW_UPS, "cell_therapy_adverse"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for trigger, follow_ups in self.FOLLOW_UPS.items():
            if cleaned.get(trigger) is True:
                require_answers(
                    self, cleaned, *[f for f in follow_ups if f != "cell_therapy_adverse"]
                )
                adverse = cleaned.get("cell_therapy_adverse")
                if trigger == "had_cell_therapy" and adverse is None:
                    self.add_error("cell_therapy_adverse", _("Please answer this question."))
            elif cleaned.get(trigger) is False:
                clear_answers(cleaned, *follow_ups)
        return cleaned


class ScreeningForm(PatientFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    active_infection = yes_no(
        _(
            "Do you have an infection right now (for example fever, a wound that is infected, "
            "a urinary or chest infection)?"
        )
    )
    cancer_year = forms.IntegerField(
        label=_("Year of diagnosis or of your last treatment"),
        required=False,
        min_value=EARLIEST_BIRTH_YEAR,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    pregnant = yes_no(
        _("Are you pregnant, possibly pregnant, or breastfeeding?"),
        help_text=_("Answer no if this does not apply to you."),
    )
    bleeding_disorder = yes_no(_("Do you have a bleeding disorder (for example haemophilia)?"))

    class Meta:
        model = Case
        fields = CASE_FIELDS["screening"]
        labels = {
            "active_infection_details": _("What infection?"),
            "cancer": _("Have you ever had cancer?"),
            "cancer_which": _("Which cancer?"),
            "immune_compromise": _("Is your immune system weakened?"),
            "immune_compromise_details": _("Why? (illness or treatment)"),
            "bleeding_disorder_details": _("Which bleeding disorder?"),
            "smoking": _("Do you smoke?"),
            "alcohol": _("How much alcohol do you drink?"),
        }
        widgets = {
            "cancer": forms.RadioSelect,
            "immune_compromise": forms.RadioSelect,
            "smoking": forms.RadioSelect,
            "alcohol": forms.RadioSelect,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.IntegerField, self.fields["cancer_year"]).max_value = timezone.now().year
        self.fields["cancer_year"].widget.attrs["max"] = str(timezone.now().year)
        radios: dict[str, Any] = {
            "cancer": CancerHistory,
            "immune_compromise": ImmuneCompromise,
            "smoking": SmokingStatus,
            "alcohol": AlcoholUse,
        }
        for name, enum in radios.items():
            field = cast(forms.ChoiceField, self.fields[name])
            field.required = True
            field.choices = enum.choices  # no empty "------" radio
        bool_initial(self, ["active_infection", "pregnant", "bleeding_disorder"])

    def clean_cancer_year(self) -> int | None:
        year: int | None = self.cleaned_data.get("cancer_year")
        if year is not None and year > timezone.now().year:
            raise forms.ValidationError(_("Enter a year up to this year."))
        return year

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("active_infection") is True:
            require_answers(self, cleaned, "active_infection_details")
        elif cleaned.get("active_infection") is False:
            clear_answers(cleaned, "active_infection_details")
        if cleaned.get("cancer") in {CancerHistory.PAST, CancerHistory.CURRENT}:
            require_answers(self, cleaned, "cancer_which", "cancer_year")
        elif cleaned.get("cancer") == CancerHistory.NEVER:
            clear_answers(cleaned, "cancer_which", "cancer_year")
        if cleaned.get("immune_compromise") in {ImmuneCompromise.MILD, ImmuneCompromise.SEVERE}:
            require_answers(self, cleaned, "immune_compromise_details")
        elif cleaned.get("immune_compromise") == ImmuneCompromise.NONE:
            clear_answers(cleaned, "immune_compromise_details")
        if cleaned.get("bleeding_disorder") is True:
            require_answers(self, cleaned, "bleeding_disorder_details")
        elif cleaned.get("bleeding_disorder") is False:
            clear_answers(cleaned, "bleeding_disorder_details")
        return cleaned
