"""Shared form plumbing: Bootstrap classes, accessible errors, NUL refusal, yes/no."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

# Free-text answers: generous for a patient, far below a request-size problem.
TEXT_MAX = 5000
YES, NO = "yes", "no"
YES_NO_CHOICES = [(YES, _("Yes")), (NO, _("No"))]


def _to_bool(value: str) -> bool:
    return value == YES


def yes_no(label: Any, *, help_text: Any = "", required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        required=required,
        choices=YES_NO_CHOICES,
        coerce=_to_bool,
        empty_value=None,
        widget=forms.RadioSelect,
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by core.uploads, not here."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class HoneypotMixin(forms.Form):
    """A field people never see or fill; a bot that fills it is refused."""

    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def honeypot_tripped(self) -> bool:
        return bool(self.data.get("website"))


def _has_nul(data: Any) -> bool:
    items = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
    return any("\x00" in v for _k, values in items for v in values if isinstance(v, str))


class PatientFormMixin:
    """Bootstrap classes, ARIA on errors, length caps, and no NUL bytes anywhere."""

    fields: dict[str, forms.Field]
    data: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(field, forms.CharField) and field.max_length is None:
                field.max_length = TEXT_MAX
                field.validators.append(MaxLengthValidator(TEXT_MAX))
                widget.attrs.setdefault("maxlength", str(TEXT_MAX))
            if isinstance(
                widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.CheckboxInput
            ):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs["class"] = "form-select"
            elif isinstance(widget, forms.FileInput):
                widget.attrs["class"] = "form-control"
            else:
                widget.attrs["class"] = "form-control"
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{name}_help"

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        if not getattr(self, "is_bound", False):
            return
        if _has_nul(self.data):
            self.add_error(None, _("Your answers contain characters we cannot accept (NUL)."))  # type: ignore[attr-defined]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                described = attrs.get("aria-describedby", "")
                attrs["aria-describedby"] = f"{described} id_{name}_error".strip()


def bool_initial(form: forms.ModelForm[Any], names: list[str]) -> None:
    """Show stored booleans in yes/no radios (the radios' values are "yes"/"no")."""
    for name in names:
        value = getattr(form.instance, name, None)
        if value is not None and name in form.fields:
            form.initial[name] = YES if value else NO


def require_answers(form: forms.BaseForm, cleaned: dict[str, Any], *names: str) -> None:
    for name in names:
        if not cleaned.get(name) and cleaned.get(name) != 0 and name not in form.errors:
            form.add_error(name, _("Please answer this question."))


def clear_answers(cleaned: dict[str, Any], *names: str) -> None:
    for name in names:
        cleaned[name] = None if name in {"cancer_year", "cell_therapy_adverse"} else ""
