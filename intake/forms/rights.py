"""The case page's erasure request: one explicit confirmation."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .common import PatientFormMixin


class ErasureForm(PatientFormMixin, forms.Form):
    # Not "confirm": the withdrawal form on the same page has that field name.
    erase_confirm = forms.BooleanField(
        label=_("I understand: erase my data once your team has checked the request"),
    )
