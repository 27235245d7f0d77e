"""Forms for uploads (wizard and case page), the case page and link requests."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from core.uploads import CONTENT_TYPES, EXTENSIONS, FileKind

from ..models import DocumentType
from ..services.documents import ALLOWED_KINDS
from .common import HoneypotMixin, MultipleFileField, PatientFormMixin


def _accept() -> str:
    """The picker's ``accept``: what the sanitizer takes, by type and by extension."""
    kinds = sorted(ALLOWED_KINDS, key=str)
    types = [CONTENT_TYPES[k] for k in kinds]
    extensions = [EXTENSIONS[k] for k in kinds]
    if FileKind.JPEG in ALLOWED_KINDS:
        # Phones' HEIC/HEIF photos are taken too: core.uploads re-encodes them to JPEG.
        types += ["image/heic", "image/heif"]
        extensions += [".jpeg", ".heic", ".heif"]
    return ",".join([*types, *extensions])


class UploadForm(PatientFormMixin, forms.Form):
    """Files and what they are; each file is checked by core.uploads, not here.

    Both pickers are optional here: the upload views refuse an empty batch, and
    the records step may be sent without files. A patient who does not say
    what the files are still keeps them ("other"); staff see them all.
    """

    doc_type = forms.ChoiceField(
        label=_("What are these files?"),
        choices=[("", _("Not sure")), *DocumentType.choices],
        required=False,
    )
    # The metaclass moves fields off the class, so this never shadows BaseForm.files.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Choose files"),
        required=False,
        help_text=_(
            "PDF, JPEG or PNG images, or DICOM files from your imaging CD. "
            "Up to %(file_mb)s MB per file."
        ),
    )
    # A separate input: ``capture`` on the main one would hide the file chooser on phones.
    photos = MultipleFileField(
        label=_("Or take a photo of a document"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args: Any, file_mb: int = 200, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = self.fields["files"].help_text % {"file_mb": file_mb}
        self.fields["files"].widget.attrs["accept"] = _accept()

    def chosen_files(self) -> list[UploadedFile]:
        """Every file from both pickers, in the order they were sent (after is_valid)."""
        return [*self.cleaned_data.get("files", []), *self.cleaned_data.get("photos", [])]

    def chosen_doc_type(self) -> str:
        return str(self.cleaned_data.get("doc_type") or DocumentType.OTHER)


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
