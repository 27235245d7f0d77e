"""Forms for uploads (wizard and case page), the case page and link requests."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import DocumentType
from .common import HoneypotMixin, MultipleFileField, PatientFormMixin


class UploadForm(PatientFormMixin, forms.Form):
    doc_type = forms.ChoiceField(
        label=_("What are these files?"),
        choices=[("", _("Choose a type")), *DocumentType.choices],
    )
    # The metaclass moves fields off the class, so this never shadows BaseForm.files.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Files"),
        help_text=_(
            "PDF, JPEG or PNG images, or DICOM files from your imaging CD. "
            "Up to %(file_mb)s MB per file."
        ),
    )

    def __init__(self, *args: Any, file_mb: int = 200, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = self.fields["files"].help_text % {"file_mb": file_mb}


class MessageForm(PatientFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Your question"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ShareForm(PatientFormMixin, forms.Form):
    clinic = forms.TypedChoiceField(label=_("Clinic"), coerce=int)
    action = forms.ChoiceField(
        choices=[("grant", _("Share")), ("revoke", _("Stop sharing"))], widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, clinic_ids: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].choices = [(str(pk), str(pk)) for pk in sorted(clinic_ids)]  # type: ignore[attr-defined]


class LinkRequestForm(PatientFormMixin, HoneypotMixin, forms.Form):
    email = forms.EmailField(
        label=_("Your email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class WithdrawForm(PatientFormMixin, forms.Form):
    confirm = forms.BooleanField(label=_("Yes, withdraw my case and stop all sharing"))
