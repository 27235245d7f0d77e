"""Long option lists that never change while the process runs: time zones, countries.

A ModelForm deep-copies every field for each instance (~600 ``ZoneInfo`` objects for
the time zone), and Django builds one dict per ``<option>`` on every render: together
about half of the about-you step's time. Here the choices are evaluated once per
language and the options' markup (every value and label escaped, the same markup
``core.templatetags.core_widgets`` writes) is built once per language; a request only
marks the selected value. Nothing here depends on data: the lists come from the
zoneinfo database and django-countries, both fixed for the life of the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language


class FixedChoices(BaseChoiceIterator):
    """Flat ``(value, label)`` choices from ``source``, evaluated once per language.

    Values become strings (a ``ZoneInfo`` reads as its key), as the form field and
    widget compare them anyway; the field's ``coerce`` still turns them back.
    """

    def __init__(self, source: Iterable[tuple[Any, Any]]) -> None:
        self._source = source
        self._choices: dict[str, list[tuple[str, str]]] = {}
        self._options: dict[str, list[tuple[str, str, str]]] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> FixedChoices:
        return self  # immutable from the outside: every form instance may share it

    def _language(self) -> str:
        language = get_language() or ""
        if language not in self._choices:
            choices = [(str(value), str(label)) for value, label in self._source]
            self._options[language] = [
                (value, f'<option value="{conditional_escape(value)}"', conditional_escape(label))
                for value, label in choices
            ]
            self._choices[language] = choices  # last: a reader sees both or neither
        return language

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._choices[self._language()])

    def options_html(self, selected: Iterable[str]) -> SafeString:
        """Every ``<option>``; only the first option matching a selected value is selected."""
        wanted = set(selected)
        out: list[str] = []
        for value, start, label in self._options[self._language()]:
            if wanted and value in wanted:
                wanted = set()  # as Django's Select: one selected option at most
                out.append(f"{start} selected>{label}</option>")
            else:
                out.append(f"{start}>{label}</option>")
        return mark_safe("\n".join(out))  # every value and label was escaped above


class FixedChoicesSelect(forms.Select):
    """A ``<select>`` over ``FixedChoices``: no per-option dicts or template includes."""

    template_name = "intake/widgets/fixed_select.html"

    def __init__(self, attrs: dict[str, Any] | None = None, *, fixed: FixedChoices) -> None:
        super().__init__(attrs, choices=fixed)
        self.fixed = fixed

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        # forms.Widget's context (name, value as strings, attrs), not ChoiceWidget's optgroups.
        context = forms.Widget.get_context(self, name, value, attrs)
        context["widget"]["options_html"] = self.fixed.options_html(context["widget"]["value"])
        return context


def fix_choices(form_class: Any, *names: str) -> None:
    """Give ``form_class``'s (single-choice, ungrouped) ``names`` fixed, cached choices."""
    for name in names:
        field = form_class.base_fields[name]
        single = not isinstance(field.widget, forms.SelectMultiple)
        if not (isinstance(field, forms.ChoiceField) and single):
            raise TypeError(f"{name} is not a single-choice field")
        fixed = FixedChoices(cast(Iterable[tuple[Any, Any]], field.choices))
        widget = FixedChoicesSelect(field.widget.attrs, fixed=fixed)
        widget.is_required = field.widget.is_required
        field.widget = widget
        field.choices = fixed
