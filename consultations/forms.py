"""Input shapes for booking, changing and managing consultations.

Forms check shape only; the services decide what is allowed (a time the form
offered may be gone by the time it is posted: the service says so).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.models import Doctor, Offering, Route
from intake.models import CaseDocument, DocumentType

from .models import AvailabilityRule, ConsultationType, DateException, PhaseKind, Weekday
from .slots import Slot

QUESTION_MAX = 2000
REASON_MAX = 500


class StyledForm(forms.Form):
    """Bootstrap classes on every widget (the site's forms look alike)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


def style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.HiddenInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def slot_value(slot: Slot) -> str:
    return slot.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_slot_value(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


class SlotField(forms.CharField):
    """A start time as posted by the slot picker (``YYYY-MM-DDTHH:MMZ``, UTC)."""

    default_error_messages = {"invalid": _("Choose one of the times offered.")}

    def to_python(self, value: Any) -> datetime | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        parsed = parse_slot_value(text)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class BookingForm(StyledForm):
    start = SlotField(label=_("Time"), error_messages={"required": _("Choose a time.")})
    question = forms.CharField(
        label=_("Your question for the consultation (optional)"),
        max_length=QUESTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": QUESTION_MAX}),
        help_text=_("What would you most like to ask? It helps your host prepare."),
    )
    document = forms.ModelChoiceField(
        label=_("Attach one of your documents (optional)"),
        queryset=CaseDocument.objects.none(),
        required=False,
        empty_label=_("No document"),
    )
    upload = forms.FileField(
        label=_("Or upload a new document (optional)"),
        required=False,
        help_text=_("PDF, JPEG, PNG or DICOM."),
    )
    doc_type = forms.ChoiceField(
        label=_("What is the new document?"),
        choices=DocumentType.choices,
        initial=DocumentType.RECORD,
        required=False,
    )

    def __init__(self, *args: Any, documents: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if documents is not None:
            self.fields["document"].queryset = documents  # type: ignore[attr-defined]
        self.fields["document"].label_from_instance = (  # type: ignore[attr-defined]
            lambda doc: f"{doc.get_doc_type_display()} - {doc.original_name}"
        )


class RescheduleForm(StyledForm):
    start = SlotField(label=_("New time"), error_messages={"required": _("Choose a new time.")})
    reason = forms.CharField(
        label=_("Why are you changing the time?"),
        max_length=REASON_MAX,
        widget=forms.TextInput(attrs={"maxlength": REASON_MAX}),
    )


class CancelForm(StyledForm):
    """Sits on the same page as a reschedule form: its own ids (``cancel_reason``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "cancel_%s")
        super().__init__(*args, **kwargs)

    reason = forms.CharField(
        label=_("Why are you cancelling?"),
        max_length=REASON_MAX,
        widget=forms.TextInput(attrs={"maxlength": REASON_MAX}),
    )


class HostRescheduleForm(StyledForm):
    """Hosts move a booking to any time on their own clock (they may override the notice)."""

    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.TimeField(
        label=_("Time (your clinic's local time)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    reason = forms.CharField(label=_("Reason (sent to the patient)"), max_length=REASON_MAX)


class RuleForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    class Meta:
        model = AvailabilityRule
        fields = ["weekday", "start_time", "end_time", "valid_from", "valid_until"]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }

    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)


class ExceptionForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    class Meta:
        model = DateException
        fields = ["date", "start_time", "end_time", "reason"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
        }


class ConsultationTypeForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    class Meta:
        model = ConsultationType
        fields = [
            "name",
            "description",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "slot_step_minutes",
            "min_notice_hours",
            "horizon_days",
            "min_change_notice_hours",
            "modality",
            "video_link",
            "meeting_url",
            "location",
            "requires_confirmation",
            "price_usd",
            "is_active",
        ]

    meeting_url = forms.URLField(
        label=_("host's meeting link"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )


class PlanForm(StyledForm):
    offering = forms.ModelChoiceField(label=_("Offering"), queryset=Offering.objects.none())
    harvest_date = forms.DateField(
        label=_("Harvest visit (cultured cells from the patient only)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    arrival_date = forms.DateField(
        label=_("Arrival"), widget=forms.DateInput(attrs={"type": "date"})
    )
    treatment_date = forms.DateField(
        label=_("Treatment"), widget=forms.DateInput(attrs={"type": "date"})
    )
    departure_date = forms.DateField(
        label=_("Departure"), widget=forms.DateInput(attrs={"type": "date"})
    )
    minimum_stay_nights = forms.IntegerField(
        label=_("Minimum stay (nights)"), min_value=0, max_value=60, initial=2
    )
    sedation = forms.BooleanField(label=_("Sedation planned"), required=False)
    instructions_days_before = forms.IntegerField(
        label=_("E-mail the instructions (days before)"), min_value=1, max_value=30, initial=7
    )
    notes = forms.CharField(
        label=_("Notes for the patient"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, offerings: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if offerings is not None:
            self.fields["offering"].queryset = offerings  # type: ignore[attr-defined]


class RecordForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("Phase"), choices=PhaseKind.choices, initial=PhaseKind.TREATMENT
    )
    offering = forms.ModelChoiceField(label=_("Offering"), queryset=Offering.objects.none())
    treated_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    cell_count_millions = forms.DecimalField(
        label=_("Cells given (millions)"),
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=2,
    )
    volume_ml = forms.DecimalField(
        label=_("Volume given (mL)"), required=False, min_value=0, max_digits=7, decimal_places=2
    )
    route = forms.ChoiceField(label=_("Route"), choices=Route.choices)
    site = forms.CharField(label=_("Site"), max_length=200)
    cell_lot = forms.CharField(label=_("Cell lot or batch number"), max_length=80, required=False)
    treating_doctor = forms.ModelChoiceField(
        label=_("Treating doctor"), queryset=Doctor.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, offerings: Any = None, doctors: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if offerings is not None:
            self.fields["offering"].queryset = offerings  # type: ignore[attr-defined]
        if doctors is not None:
            self.fields["treating_doctor"].queryset = doctors  # type: ignore[attr-defined]


def local_instant(day: date, at: time, zone: Any) -> datetime:
    """A host-local wall time as an aware instant (first occurrence if it repeats)."""
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0)
