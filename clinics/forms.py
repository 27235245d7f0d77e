"""Input shape for the public directory and the clinic portal.

Portal forms list their fields explicitly and only from a model's
``VETTED_FACT_FIELDS | COSMETIC_FIELDS``: ``status``, ``verified_by``, ``rating``,
``clinic`` and every other system field cannot be posted through them (mass
assignment is impossible, not merely filtered). Whether a field goes live at once
or becomes a change request is decided by the services, not here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from core.timezones import zone_picker

from .models import (
    CellOrigin,
    CellType,
    Clinic,
    Condition,
    Credential,
    CredentialKind,
    Doctor,
    Manipulation,
    Offering,
    Review,
)
from .selectors import DirectoryFilters, DirectorySort

# A choice error must not echo the posted value back into the page.
CHOICE_ERRORS = {"invalid_choice": _("Choose one of the listed options.")}
PRICE_CAP_USD = 1_000_000
MAX_PAGE = 10_000

# Languages a clinic can say it speaks: every ISO 639-1 code Django knows a name for.
LANGUAGE_CODES: tuple[str, ...] = tuple(
    sorted(code for code in LANG_INFO if len(code) == 2 and "name" in LANG_INFO[code])
)


def language_name(code: str) -> str:
    """The language's name in the viewer's language, or the code if unknown."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code.upper()


def language_choices(codes: list[str] | tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    chosen = LANGUAGE_CODES if codes is None else [c for c in codes if c in LANGUAGE_CODES]
    return sorted(((code, language_name(code)) for code in chosen), key=lambda c: c[1])


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


# --- Public directory -----------------------------------------------------------
class DirectoryFilterForm(forms.Form):
    """The directory's GET parameters, each validated; an invalid one is reported and ignored."""

    condition = forms.ChoiceField(
        label=_("Condition"), required=False, error_messages=CHOICE_ERRORS
    )
    country = forms.ChoiceField(label=_("Country"), required=False, error_messages=CHOICE_ERRORS)
    cell_type = forms.ChoiceField(
        label=_("Cell type"),
        required=False,
        error_messages=CHOICE_ERRORS,
        choices=_blank(_("Any cell type")) + list(CellType.choices),
    )
    origin = forms.ChoiceField(
        label=_("Whose cells"),
        required=False,
        error_messages=CHOICE_ERRORS,
        choices=_blank(_("Own or donor cells")) + list(CellOrigin.choices),
    )
    manipulation = forms.ChoiceField(
        label=_("Processing"),
        required=False,
        error_messages=CHOICE_ERRORS,
        choices=_blank(_("Any processing")) + list(Manipulation.choices),
    )
    price_min = forms.IntegerField(
        label=_("From (USD)"),
        required=False,
        min_value=0,
        max_value=PRICE_CAP_USD,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 100}),
    )
    price_max = forms.IntegerField(
        label=_("Up to (USD)"),
        required=False,
        min_value=0,
        max_value=PRICE_CAP_USD,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 100}),
    )
    language = forms.ChoiceField(
        label=_("Language spoken"), required=False, error_messages=CHOICE_ERRORS
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        error_messages=CHOICE_ERRORS,
        choices=[
            (DirectorySort.RANKING, _("Our published ranking")),
            (DirectorySort.PRICE, _("Lowest starting price")),
            (DirectorySort.RATING, _("Highest patient rating")),
            (DirectorySort.NAME, _("Name (A-Z)")),
        ],
    )
    page = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput
    )

    def __init__(
        self,
        data: Any,
        *,
        condition_choices: list[tuple[str, list[tuple[str, str]]]],
        country_codes: list[str],
        language_codes: list[str],
    ) -> None:
        super().__init__(data)
        self._choice("condition").choices = _blank(_("Any condition")) + condition_choices
        self._choice("country").choices = _blank(_("Any country")) + sorted(
            ((code, str(countries.name(code) or code)) for code in country_codes),
            key=lambda c: c[1],
        )
        self._choice("language").choices = _blank(_("Any language")) + language_choices(
            language_codes
        )
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)
        self.fields["sort"].widget.attrs["data-autosubmit"] = ""

    def _choice(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The upper price must be at least the lower price."))
        return data

    def filters(self) -> DirectoryFilters:
        """The valid parameters only: a bad one is dropped (and shown as an error)."""
        if not self.is_bound:
            return DirectoryFilters()
        self.is_valid()
        data = self.cleaned_data

        def price(name: str) -> Decimal | None:
            value = data.get(name)
            return None if value is None else Decimal(value)

        return DirectoryFilters(
            condition=data.get("condition") or "",
            country=data.get("country") or "",
            cell_type=data.get("cell_type") or "",
            origin=data.get("origin") or "",
            manipulation=data.get("manipulation") or "",
            price_min_usd=price("price_min"),
            price_max_usd=price("price_max"),
            language=data.get("language") or "",
            sort=data.get("sort") or DirectorySort.RANKING,
        )

    @property
    def page_number(self) -> int:
        if not self.is_bound:
            return 1
        self.is_valid()
        return int(self.cleaned_data.get("page") or 1)

    @property
    def active_filter_count(self) -> int:
        filters = self.filters()
        return sum(
            1
            for value in (
                filters.condition,
                filters.country,
                filters.cell_type,
                filters.origin,
                filters.manipulation,
                filters.price_min_usd,
                filters.price_max_usd,
                filters.language,
            )
            if value not in ("", None)
        )


# --- Clinic portal -------------------------------------------------------------------
class LanguagesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class ClinicProfileForm(forms.ModelForm):
    """The clinic's own profile. Name, place and accreditation are vetted facts."""

    languages = LanguagesField(label=_("Languages spoken"), required=False, choices=())
    website = forms.URLField(
        label=_("Website"), required=False, max_length=200, assume_scheme="https"
    )

    class Meta:
        model = Clinic
        fields = [
            "name",
            "city",
            "country",
            "accreditation_notes",
            "description",
            "content_language",
            "website",
            "languages",
            "time_zone",
            "contact_name",
            "contact_email",
            "contact_phone",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "accreditation_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["languages"]).choices = language_choices()
        self.fields["content_language"].required = False
        if self.instance and not self.is_bound:
            self.initial["languages"] = list(self.instance.languages or [])

    def clean_content_language(self) -> str:
        # Optional in the form: a form that does not send it keeps what the clinic had.
        return str(self.cleaned_data.get("content_language") or self.instance.content_language)

    def clean_languages(self) -> list[str]:
        chosen = sorted(set(self.cleaned_data.get("languages") or []))
        current = list(self.instance.languages or [])
        # The same languages in another order are not an edit.
        return current if sorted(set(current)) == chosen else chosen


# Time zones by country and city, "(UTC-05:00) Bogotá", as in the patient's intake.
zone_picker(ClinicProfileForm, "time_zone")


class OfferingForm(forms.ModelForm):
    """One treatment passport. Cell facts, dose, route and prices are vetted facts."""

    conditions = forms.ModelMultipleChoiceField(
        label=_("Conditions treated"),
        queryset=Condition.objects.filter(is_active=True).order_by("category", "name"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Offering
        fields = [
            "title",
            "summary",
            "conditions",
            "cell_type",
            "cell_source",
            "origin",
            "manipulation",
            "cell_count_millions",
            "volume_ml",
            "viability_percent",
            "route",
            "sessions",
            "typical_stay_nights",
            "price_currency",
            "price_min",
            "price_max",
            "included",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "included": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "cell_count_millions": _("For cultured cells, the number of million cells given."),
            "volume_ml": _(
                "If you state only a volume, patients see the product as minimally "
                "manipulated (same day)."
            ),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and low <= 0:
            self.add_error("price_min", _("Enter a price above zero."))
        if low is not None and high is not None and high < low:
            self.add_error("price_max", _("The upper price must not be below the lower price."))
        return data


class DoctorForm(forms.ModelForm):
    """A team member. Name, speciality and licence are vetted facts; the bio is not."""

    class Meta:
        model = Doctor
        fields = [
            "full_name",
            "speciality",
            "licence_number",
            "licence_authority",
            "bio",
            "display_order",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}


class CredentialUploadForm(forms.ModelForm):
    """A new document for the vetting register; staff verify it before it counts."""

    document = forms.FileField(
        label=_("Document (PDF, JPEG or PNG)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    class Meta:
        model = Credential
        fields = ["kind", "issuer", "number", "issued_on", "expires_on"]
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = list(CredentialKind.choices)
        limit = self.max_bytes
        self.fields["document"].help_text = gettext(
            "Up to %(size)s. The file is checked by its content, not its name."
        ) % {"size": filesizeformat(limit)}
        self.fields["document"].widget.attrs.update(
            {
                "data-max-bytes": str(limit),
                "data-too-big-message": gettext("This file is larger than %(size)s.")
                % {"size": filesizeformat(limit)},
                "data-empty-message": gettext("This file is empty."),
            }
        )

    @property
    def max_bytes(self) -> int:
        return int(getattr(settings, "CLINIC_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024))

    def clean_document(self) -> UploadedFile:
        # Shape only (size); the content is checked by the upload service, which
        # decides the type from the bytes and refuses scripts and executables.
        upload: UploadedFile = self.cleaned_data["document"]
        if not upload.size:
            raise forms.ValidationError(_("This file is empty."), code="empty")
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("This file is larger than %(size)s."),
                code="too_big",
                params={"size": filesizeformat(self.max_bytes)},
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires < issued:
            self.add_error("expires_on", _("The expiry date cannot be before the issue date."))
        return data


class ReviewReplyForm(forms.ModelForm):
    """The clinic's one public reply to a review."""

    class Meta:
        model = Review
        fields = ["reply_body"]
        labels = {"reply_body": _("Your public reply")}
        widgets = {"reply_body": forms.Textarea(attrs={"rows": 4, "maxlength": 3000})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reply_body"].required = True
