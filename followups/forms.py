"""The check-in, page by page: each form is one screen on a phone."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.languages import CONTENT_LANGUAGES

from .instruments import CareVisit, Pgic, Severity, SideEffect
from .models import Relatedness

NRS_CHOICES = [(i, str(i)) for i in range(11)]
RADIO = forms.RadioSelect(attrs={"class": "form-check-input"})
SCALE = forms.RadioSelect(attrs={"class": "form-check-input followups-scale-input"})
CHECK = forms.CheckboxInput(attrs={"class": "form-check-input"})


class PainPage(forms.Form):
    pain_now = forms.TypedChoiceField(
        label=_("How much pain do you have right now?"),
        help_text=_("0 = no pain, 10 = the worst pain you can imagine."),
        choices=NRS_CHOICES,
        coerce=int,
        widget=SCALE,
    )
    pgic = forms.TypedChoiceField(
        label=_("Since your treatment, how would you describe the change in your condition?"),
        choices=Pgic.choices,
        coerce=int,
        widget=RADIO,
    )
    function_limit = forms.TypedChoiceField(
        label=_("How much does your condition limit your daily life now?"),
        help_text=_("0 = not at all, 10 = I cannot do my usual activities."),
        choices=NRS_CHOICES,
        coerce=int,
        widget=SCALE,
    )

    def __init__(self, *args: Any, side_effects_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if side_effects_only:
            # After a harvest visit only side effects matter: no outcome questions.
            del self.fields["pgic"]
            del self.fields["function_limit"]


class SideEffectsPage(forms.Form):
    fever_over_48h = forms.BooleanField(
        label=_("I have had a fever for more than 48 hours"), required=False, widget=CHECK
    )
    spreading_redness = forms.BooleanField(
        label=_("Redness around the site is spreading"), required=False, widget=CHECK
    )
    pus_or_discharge = forms.BooleanField(
        label=_("There is pus or fluid coming from the site"), required=False, widget=CHECK
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for effect in SideEffect:
            self.fields[f"se_{effect.value}"] = forms.TypedChoiceField(
                label=effect.label,
                choices=Severity.choices,
                coerce=int,
                initial=0,
                widget=RADIO,
            )
            self.fields[f"still_{effect.value}"] = forms.BooleanField(
                label=_("Still there today"), required=False, widget=CHECK
            )

    def effect_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"se_{e.value}"], self[f"still_{e.value}"]) for e in SideEffect]

    def answer_values(self) -> dict[str, object]:
        data = self.cleaned_data
        effects = {e.value: data[f"se_{e.value}"] for e in SideEffect if data[f"se_{e.value}"]}
        return {
            "side_effects": effects,
            "still_present": [
                e.value for e in SideEffect if data[f"still_{e.value}"] and e.value in effects
            ],
            "fever_over_48h": data["fever_over_48h"],
            "spreading_redness": data["spreading_redness"],
            "pus_or_discharge": data["pus_or_discharge"],
        }


class LastPage(forms.Form):
    care_visit = forms.ChoiceField(
        label=_("Since the last check-in, did you see a doctor or go to hospital about it?"),
        choices=CareVisit.choices,
        initial=CareVisit.NONE,
        widget=RADIO,
    )
    sane_score = forms.IntegerField(
        label=_("How would you rate the treated joint today, from 0 to 100?"),
        help_text=_("100 = completely normal."),
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    anything_else = forms.CharField(
        label=_("Anything else you would like to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    contact_me = forms.BooleanField(
        label=_("I would like someone from the concierge team to contact me"),
        required=False,
        widget=CHECK,
    )

    def __init__(self, *args: Any, long_instrument: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not long_instrument:
            del self.fields["sane_score"]


class ClinicRelatednessForm(forms.Form):
    relatedness = forms.ChoiceField(
        label=_("How related to the treatment is this event, in your clinic's view?"),
        choices=Relatedness.choices,
        widget=RADIO,
    )


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating of the clinic"),
        choices=[
            (5, _("5 - excellent")),
            (4, _("4 - good")),
            (3, _("3 - fair")),
            (2, _("2 - poor")),
            (1, _("1 - very poor")),
        ],
        coerce=int,
        widget=RADIO,
    )
    body = forms.CharField(
        label=_("Your review"),
        max_length=5000,
        help_text=_("What went well, what did not, and what should the next patient know?"),
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )
    author_display_name = forms.CharField(
        label=_("Shown as"),
        max_length=60,
        help_text=_("For example: Maria, 58, Canada. Never your e-mail address."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    language = forms.ChoiceField(
        label=_("Language you wrote it in"),
        choices=CONTENT_LANGUAGES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
