"""One form per wizard step. Each takes its fields from intake.steps."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import Condition, ConditionCategory
from core.timezones import zone_picker

from ..models import (
    Case,
    ConditionDuration,
    Patient,
)
from ..models.patient import EARLIEST_BIRTH_YEAR
from ..steps import CASE_FIELDS, PATIENT_FIELDS
from .common import HoneypotMixin, PatientFormMixin, bool_initial, require_answers, yes_no
from .fixed_choices import fix_choices
from .health import HistoryForm, ScreeningForm
from .plans import ConsentForm, PlansForm

UNLISTED = "unlisted"
SPOKEN_LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
    ("fr", _("French")),
    ("de", _("German")),
    ("pt", _("Portuguese")),
    ("it", _("Italian")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
    ("zh", _("Chinese")),
    ("ja", _("Japanese")),
    ("ko", _("Korean")),
    ("th", _("Thai")),
    ("hi", _("Hindi")),
    ("ms", _("Malay")),
    ("tr", _("Turkish")),
]


class AboutForm(PatientFormMixin, HoneypotMixin, forms.ModelForm):  # type: ignore[type-arg]
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("For example 1968-04-23."),
    )
    spoken_languages = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        choices=SPOKEN_LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("We look for clinics whose staff speak one of them."),
    )

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        help_texts = {
            "phone": _("Optional. Include the country code, for example +1 415 555 0100."),
            "time_zone": _("So we can suggest call times that suit you."),
        }

    # Browsers fill these in for the patient (WCAG 1.3.5, identify input purpose).
    AUTOCOMPLETE = {
        "full_name": {"autocomplete": "name"},
        "email": {"autocomplete": "email"},
        "phone": {"autocomplete": "tel", "type": "tel", "inputmode": "tel"},
        "date_of_birth": {"autocomplete": "bday"},
        "country": {"autocomplete": "country"},
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, attrs in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs.update(attrs)

    def clean_spoken_languages(self) -> list[str]:
        # A choice posted 1,000 times is still one language: keep the stored list bounded.
        return list(dict.fromkeys(self.cleaned_data.get("spoken_languages") or []))

    def clean_date_of_birth(self) -> datetime.date:
        born: datetime.date = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if born.year < EARLIEST_BIRTH_YEAR:
            raise forms.ValidationError(_("Please check the year of birth."))
        return born


# ~250 fixed options: evaluated and rendered once per language (fixed_choices.py).
fix_choices(AboutForm, "country")
# Time zones by country and city, "(UTC-05:00) Bogotá", in the patient's language.
zone_picker(AboutForm, "time_zone")


class ConditionForm(PatientFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    category = forms.ChoiceField(label=_("Area of your condition"))
    condition = forms.ChoiceField(
        label=_("Condition"),
        required=False,
        help_text=_("Choose the area first; the list then shows its conditions."),
    )
    severity = forms.IntegerField(
        label=_("How severe is it now, from 0 to 10?"),
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"min": 0, "max": 10, "step": 1, "inputmode": "numeric"}),
        help_text=_("0 means no symptoms, 10 the worst you can imagine."),
    )
    diagnosis_confirmed = yes_no(_("Has a doctor confirmed the diagnosis?"))

    class Meta:
        model = Case
        fields = ["category", *CASE_FIELDS["condition"]]
        labels = {
            "condition_other": _("Your condition, in your own words"),
            "duration": _("How long have you had it?"),
            "functional_impact": _("How does it affect your daily life?"),
            "symptoms": _("Your main symptoms"),
            "goals": _("What do you hope treatment would change?"),
        }
        widgets = {
            "duration": forms.RadioSelect,
            "functional_impact": forms.Textarea(attrs={"rows": 3}),
            "symptoms": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        conditions = list(Condition.objects.filter(is_active=True).order_by("category", "name"))
        groups: dict[str, list[tuple[str, str]]] = {}
        for c in conditions:
            groups.setdefault(str(ConditionCategory(c.category).label), []).append(
                (str(c.pk), c.name)
            )
        self._conditions = {str(c.pk): c for c in conditions}
        choice = lambda name: cast(forms.ChoiceField, self.fields[name])  # noqa: E731
        choice("condition").choices = [("", _("Choose a condition")), *groups.items()]
        choice("category").choices = [
            ("", _("Choose an area")),
            *ConditionCategory.choices,
            (UNLISTED, _("My condition is not listed")),
        ]
        for name in ("duration", "symptoms", "goals"):
            self.fields[name].required = True
        choice("duration").choices = ConditionDuration.choices  # no empty "------" radio
        case = self.instance
        if case.condition_id:
            self.initial["category"] = case.condition.category
            self.initial["condition"] = str(case.condition_id)
        elif case.condition_other:
            self.initial["category"] = UNLISTED
        bool_initial(self, ["diagnosis_confirmed"])

    def clean_condition(self) -> Condition | None:
        value = self.cleaned_data.get("condition")
        return self._conditions.get(value) if value else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        category = cleaned.get("category")
        condition = cleaned.get("condition")
        if category == UNLISTED:
            cleaned["condition"] = None
            require_answers(self, cleaned, "condition_other")
        elif category:
            if condition is None:
                self.add_error(
                    "condition", _("Choose your condition, or 'My condition is not listed'.")
                )
            elif condition.category != category:
                self.add_error("condition", _("This condition is not in the area you chose."))
            cleaned["condition_other"] = ""
        return cleaned

    def _post_clean(self) -> None:
        # The model's own invariants (Case.clean) still run via ModelForm.
        self.cleaned_data.pop("category", None)
        super()._post_clean()  # type: ignore[misc]


class RecordsForm(PatientFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Case
        fields = CASE_FIELDS["records"]
        labels = {"records_later": _("I will send my records and imaging later")}

    def __init__(self, *args: Any, has_documents: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_documents = has_documents
        # Rendered below the document list, outside the step's <form> (the list has
        # its own remove forms); it joins the form by id (templates/intake/wizard/records.html).
        self.fields["records_later"].widget.attrs["form"] = "records-form"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.has_documents and not cleaned.get("records_later"):
            self.add_error(
                "records_later",
                _(
                    "Upload at least one document, or tick "
                    "'I will send my records and imaging later'."
                ),
            )
        return cleaned


STEP_FORMS: dict[str, type[forms.BaseForm]] = {
    "about": AboutForm,
    "condition": ConditionForm,
    "history": HistoryForm,
    "screening": ScreeningForm,
    "records": RecordsForm,
    "plans": PlansForm,
    "consent": ConsentForm,
}
