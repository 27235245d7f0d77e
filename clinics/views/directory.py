"""The public directory of vetted clinics (/clinics/)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_GET
from django_countries import countries

from core.public_cache import public_page

from ..forms import DirectoryFilterForm, language_name
from ..models import CellType, Clinic, Compliance, Credential, CredentialKind, Offering, Route
from ..public_cache import PUBLIC_PAGES
from ..querysets import (
    DIRECTORY_RANKING,
    DIRECTORY_RANKING_SUMMARY,
    current_kinds,
    drop_renewed,
    offering_badge_in_python,
)
from ..selectors import directory_clinics, directory_condition_choices, directory_facets

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


@lru_cache(maxsize=64)
def _kind_labels(language: str) -> dict[str, str]:
    return {value: str(label) for value, label in CredentialKind.choices}


def kind_label(kind: str) -> str:
    """The credential kind's label in the active language (get_kind_display() re-translates
    every choice on every call, which cost ~13 ms on a 12-clinic page)."""
    return _kind_labels(get_language() or "en").get(kind, kind)


def badges_for(credentials: Iterable[Credential]) -> list[Badge]:
    """One badge per credential kind: the most recently verified current credential.

    ``credentials`` are the clinic's current ones, ordered by kind then newest
    verification (selectors); those a newer credential replaces are left out.
    """
    seen: set[str] = set()
    out: list[Badge] = []
    for cred in drop_renewed(credentials):
        if cred.kind in seen:
            continue
        seen.add(cred.kind)
        label = kind_label(cred.kind)
        out.append(
            Badge(
                kind=cred.kind,
                label=label,
                short_label=str(SHORT_LABELS.get(cred.kind, label)),
                issuer=cred.issuer,
                number=cred.number,
                verified_on=cred.verified_at,
                expires_on=cred.expires_on,
            )
        )
    return out


@dataclass(frozen=True)
class OfferingLine:
    """One treatment on a card, its words ready: the template only prints them."""

    offering: Offering
    conflict: bool
    verified: bool
    cell_type: str
    processing: str
    route: str


@dataclass(frozen=True)
class ClinicCard:
    """One clinic on the directory, its sentences ready (~100 {% blocktranslate %} tags a
    page rendered one by one cost more than the rest of the card)."""

    clinic: Clinic
    url: str
    country_name: str
    languages: list[str]
    badges: list[Badge]
    offerings: list[OfferingLine]
    more_offerings: int
    badge_lines: list[tuple[Badge, str]]
    rating_text: str
    price_text: str
    see_text: str


def _as_blocktranslate(message: str, values: dict[str, Any]) -> SafeString:
    """What {% blocktranslate %} renders: the translation as is, each value localized and
    escaped (django.templatetags.i18n.BlockTranslateNode). Same msgids as before."""
    # Safe: every value is escaped; the translation is ours (as blocktranslate trusts it).
    return mark_safe(message % {k: conditional_escape(str(localize(v))) for k, v in values.items()})


@lru_cache(maxsize=1024)
def _verified_on_text(language: str, day: dt.date) -> str:
    """Many badges share a day; the words for it never change (DATE_FORMAT has no time)."""
    when = date_filter(day, "DATE_FORMAT")
    return _as_blocktranslate(gettext("verified on %(when)s"), {"when": when})


def _verified_on(badge: Badge) -> str:
    local = template_localtime(badge.verified_on)
    if not isinstance(local, dt.datetime | dt.date):
        return _as_blocktranslate(gettext("verified on %(when)s"), {"when": date_filter(local)})
    day = local.date() if isinstance(local, dt.datetime) else local
    return _verified_on_text(get_language() or "", day)


def _rating(clinic: Any) -> str:
    count = clinic.review_count
    if not count:
        return ""
    message = ngettext(
        "%(avg)s out of 5 from %(counter)s patient review",
        "%(avg)s out of 5 from %(counter)s patient reviews",
        count,
    )
    return _as_blocktranslate(message, {"avg": floatformat(clinic.rating_avg, 1), "counter": count})


def _price(clinic: Any) -> str:
    if not clinic.price_from_usd:
        return ""
    price = intcomma(floatformat(clinic.price_from_usd, 0))
    rate_on = getattr(clinic, "price_from_rate_on", None)
    if rate_on is None:  # the cheapest offering is quoted in US dollars: nothing converted
        return _as_blocktranslate(gettext("Treatments from USD %(price)s"), {"price": price})
    return _as_blocktranslate(
        gettext("Treatments from about USD %(price)s, rate of %(date)s"),
        {"price": price, "date": date_filter(rate_on, "DATE_FORMAT")},
    )


CARD_OFFERINGS = 3


@lru_cache(maxsize=64)
def _choice_labels(language: str) -> dict[str, dict[str, str]]:
    """Cell type and route labels in one language (static: built once per process)."""
    return {
        "cell_type": {value: str(label) for value, label in CellType.choices},
        "route": {value: str(label).lower() for value, label in Route.choices},
    }


def clinic_card(clinic: Clinic) -> ClinicCard:
    country_name = str(countries.name(clinic.country) or clinic.country)
    labels = _choice_labels(get_language() or "en")
    credentials: list[Credential] = getattr(clinic, "current_credentials", [])
    kinds = current_kinds(credentials)
    offerings: list[Offering] = getattr(clinic, "matching_offerings", [])
    lines = [
        OfferingLine(
            offering=o,
            # The code compliance_note() would give, without wording the whole note.
            conflict=bool(getattr(o, "legality_conflict", False))
            or getattr(o, "compliance", "") == Compliance.CONFLICT,
            verified=offering_badge_in_python(o, kinds),
            cell_type=labels["cell_type"].get(o.cell_type, o.cell_type),
            processing=o.public_processing.lower(),
            route=labels["route"].get(o.route, o.route),
        )
        for o in offerings[:CARD_OFFERINGS]
    ]
    badges = badges_for(credentials)
    return ClinicCard(
        clinic=clinic,
        url=reverse("clinics:profile", args=[clinic.slug]),
        country_name=country_name,
        languages=[language_name(code) for code in clinic.languages or []],
        badges=badges,
        offerings=lines,
        more_offerings=max(0, len(offerings) - CARD_OFFERINGS),
        badge_lines=[(badge, _verified_on(badge)) for badge in badges],
        rating_text=_rating(clinic),
        price_text=_price(clinic),
        see_text=_as_blocktranslate(gettext("See %(name)s"), {"name": clinic.name}),
    )


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    """List vetted clinics; every GET parameter is validated, a bad one is ignored and shown.

    The same for every anonymous visitor: served from the public-page cache until a
    service changes a clinic (``clinics.public_cache``).
    """
    return public_page(request, PUBLIC_PAGES, lambda: _directory(request))


def _directory(request: HttpRequest) -> HttpResponse:
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
