"""The public directory of vetted clinics (/clinics/)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_countries import countries

from ..forms import DirectoryFilterForm, language_name
from ..models import Clinic, Credential, CredentialKind, Offering
from ..querysets import DIRECTORY_RANKING, DIRECTORY_RANKING_SUMMARY
from ..selectors import directory_clinics, directory_condition_choices, directory_facets
from .passport import compliance_note

PAGE_SIZE = 20


# Cards are small: the profile spells each credential out in full.
SHORT_LABELS: dict[str, Any] = {
    CredentialKind.MEDICAL_LICENCE: gettext_lazy("Licence"),
    CredentialKind.INSURANCE: gettext_lazy("Insurance"),
    CredentialKind.LAB_CERTIFICATE: gettext_lazy("Lab certificate"),
    CredentialKind.CELL_QUALITY: gettext_lazy("Cell quality"),
    CredentialKind.DONOR_SCREENING: gettext_lazy("Donor screening"),
}


@dataclass(frozen=True)
class Badge:
    """One verification badge: what was checked, by whom it was issued, and when we verified it."""

    kind: str
    label: str
    short_label: str
    issuer: str
    number: str
    verified_on: Any
    expires_on: Any


def badges_for(credentials: Iterable[Credential]) -> list[Badge]:
    """One badge per credential kind: the most recently verified current credential.

    ``credentials`` arrive ordered by kind then newest verification (selectors).
    """
    seen: set[str] = set()
    out: list[Badge] = []
    for cred in credentials:
        if cred.kind in seen:
            continue
        seen.add(cred.kind)
        out.append(Badge(
            kind=cred.kind, label=cred.get_kind_display(),
            short_label=str(SHORT_LABELS.get(cred.kind, cred.get_kind_display())),
            issuer=cred.issuer,
            number=cred.number, verified_on=cred.verified_at, expires_on=cred.expires_on,
        ))
    return out


@dataclass(frozen=True)
class OfferingLine:
    offering: Offering
    conflict: bool
    verified: bool


@dataclass(frozen=True)
class ClinicCard:
    clinic: Clinic
    country_name: str
    languages: list[str]
    badges: list[Badge]
    offerings: list[OfferingLine]
    more_offerings: int


CARD_OFFERINGS = 3


def clinic_card(clinic: Clinic) -> ClinicCard:
    country_name = str(countries.name(clinic.country) or clinic.country)
    offerings: list[Offering] = getattr(clinic, "matching_offerings", [])
    lines = [
        OfferingLine(
            offering=o,
            conflict=compliance_note(o, country_name).code == "conflict",
            verified=bool(getattr(o, "has_verified_badge", False)),
        )
        for o in offerings[:CARD_OFFERINGS]
    ]
    return ClinicCard(
        clinic=clinic,
        country_name=country_name,
        languages=[language_name(code) for code in clinic.languages or []],
        badges=badges_for(getattr(clinic, "badges", [])),
        offerings=lines,
        more_offerings=max(0, len(offerings) - CARD_OFFERINGS),
    )


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    """List vetted clinics; every GET parameter is validated, a bad one is ignored and shown."""
    country_codes, language_codes = directory_facets()
    form = DirectoryFilterForm(
        request.GET or None,
        condition_choices=directory_condition_choices(),
        country_codes=country_codes,
        language_codes=language_codes,
    )
    filters = form.filters()
    page = Paginator(directory_clinics(filters), PAGE_SIZE).get_page(form.page_number)
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "cards": [clinic_card(clinic) for clinic in page.object_list],
        "ranking_rule": DIRECTORY_RANKING,
        "ranking_summary": DIRECTORY_RANKING_SUMMARY,
        "filters_active": form.active_filter_count,
        # Links and hidden fields carry only the parameters that were valid.
        "query_without_page": urlencode(filters.as_params()),
        "hidden_filters": sorted(filters.as_params(with_sort=False).items()),
        "sort": filters.sort,
    }
    return render(request, "clinics/directory.html", context)
