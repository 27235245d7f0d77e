"""Public reads: the directory of vetted clinics and one clinic's profile.

Only vetted clinics and live offerings. Query counts are part of the contract
(tests pin them): one query for the rows plus one per ``Prefetch``, never one
per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ..models import (
    Clinic,
    Condition,
    ConditionCategory,
    Credential,
    Doctor,
    Manipulation,
    Offering,
    Review,
    ReviewStatus,
)
from ..querysets import DIRECTORY_ORDER_BY


# --- Public directory ------------------------------------------------------------
class DirectorySort:
    """The sort keys the directory accepts; RANKING is the published rule."""

    RANKING = "ranking"
    PRICE = "price"
    RATING = "rating"
    NAME = "name"


SORT_ORDER: dict[str, tuple[Any, ...]] = {
    DirectorySort.RANKING: DIRECTORY_ORDER_BY,
    DirectorySort.PRICE: (F("price_from_usd").asc(nulls_last=True), *DIRECTORY_ORDER_BY),
    DirectorySort.RATING: (
        F("rating_avg").desc(nulls_last=True),
        F("review_count").desc(),
        *DIRECTORY_ORDER_BY,
    ),
    DirectorySort.NAME: ("name", "pk"),
}


@dataclass(frozen=True)
class DirectoryFilters:
    """Validated directory filters (from ``clinics.forms.DirectoryFilterForm``)."""

    condition: str = ""
    country: str = ""
    cell_type: str = ""
    origin: str = ""
    manipulation: str = ""
    price_min_usd: Decimal | None = None
    price_max_usd: Decimal | None = None
    language: str = ""
    sort: str = DirectorySort.RANKING

    def as_params(self, *, with_sort: bool = True) -> dict[str, str]:
        """The non-empty filters as GET parameters (for links and hidden fields)."""
        values: dict[str, Any] = {
            "condition": self.condition,
            "country": self.country,
            "cell_type": self.cell_type,
            "origin": self.origin,
            "manipulation": self.manipulation,
            "price_min": self.price_min_usd,
            "price_max": self.price_max_usd,
            "language": self.language,
        }
        if with_sort and self.sort != DirectorySort.RANKING:
            values["sort"] = self.sort
        return {k: str(v) for k, v in values.items() if v not in ("", None)}

    @property
    def filters_offerings(self) -> bool:
        return bool(
            self.condition
            or self.cell_type
            or self.origin
            or self.manipulation
            or self.price_min_usd is not None
            or self.price_max_usd is not None
        )


def _manipulation_q(value: str) -> Q:
    """Filter on what the public sees: a dose only in mL always reads as minimal."""
    only_ml = Q(cell_count_millions__isnull=True, volume_ml__isnull=False)
    if value == Manipulation.MINIMAL:
        return Q(manipulation=Manipulation.MINIMAL) | only_ml
    return Q(manipulation=Manipulation.CULTURED) & ~only_ml


def _offering_q(filters: DirectoryFilters) -> Q:
    """The offering-level filters, all met by the SAME offering.

    "MSC for knee osteoarthritis under USD 8,000" must find one offering that is
    all three, not a clinic with an MSC offering and another knee offering.
    """
    q = Q()
    if filters.condition:
        q &= Q(conditions__slug=filters.condition)
    if filters.cell_type:
        q &= Q(cell_type=filters.cell_type)
    if filters.origin:
        q &= Q(origin=filters.origin)
    if filters.manipulation:
        q &= _manipulation_q(filters.manipulation)
    # Price ranges overlap: the offering's range meets the visitor's.
    if filters.price_max_usd is not None:
        q &= Q(price_min_usd__lte=filters.price_max_usd)
    if filters.price_min_usd is not None:
        q &= Q(price_max_usd__gte=filters.price_min_usd)
    return q


CREDENTIAL_COLUMNS = (
    "id",
    "clinic_id",
    "kind",
    "issuer",
    "number",
    "issued_on",
    "expires_on",
    "verified_at",
    "status",
)


def _current_credentials_all(day: dt.date) -> QuerySet[Credential]:
    """Every current credential, renewed ones included: the public pages derive both the
    badges (``querysets.drop_renewed``) and the offering badges
    (``querysets.offering_badge_in_python``) from this one prefetch."""
    return (
        Credential.objects.current(day).only(*CREDENTIAL_COLUMNS).order_by("kind", "-verified_at")
    )


# Building the ranking annotations (eight subqueries) costs more than running them. The
# unevaluated queryset depends only on the day, so it is built once per process and day;
# every request clones it (QuerySet methods never mutate it) and reads fresh rows.
@lru_cache(maxsize=4)
def _ranked_base(day: dt.date) -> QuerySet[Clinic]:
    return Clinic.objects.public().with_ranking_stats(day)


# What a directory card reads of a clinic (templates/clinics/directory.html).
CARD_CLINIC_COLUMNS = (
    "id",
    "name",
    "slug",
    "city",
    "country",
    "languages",
    "status",
    "content_language",
)


# What a directory card reads of an offering (clinics/views/directory.py).
CARD_OFFERING_COLUMNS = (
    "id",
    "clinic_id",
    "title",
    "cell_type",
    "cell_source",
    "origin",
    "manipulation",
    "cell_count_millions",
    "volume_ml",
    "route",
    "price_min_usd",
)


def directory_clinics(filters: DirectoryFilters, *, on: dt.date | None = None) -> QuerySet[Clinic]:
    """Vetted clinics matching ``filters``, ordered by the chosen (published) rule.

    Each row carries ``matching_offerings`` (live offerings meeting the filters, with
    ``legality_conflict``; only the columns a card shows) and ``current_credentials``
    (every current credential: ``badges_for`` drops the renewed ones) as prefetched lists.
    """
    day = on or timezone.localdate()
    qs = _ranked_base(day).only(*CARD_CLINIC_COLUMNS)
    offering_q = _offering_q(filters)
    matching = Offering.objects.live().filter(offering_q)
    if filters.filters_offerings:
        qs = qs.filter(Exists(matching.filter(clinic=OuterRef("pk"))))
    if filters.country:
        qs = qs.filter(country=filters.country)
    if filters.language:
        # JSON list of ISO 639-1 codes. The code is one of a fixed set of two-letter
        # codes (the form refuses anything else), so matching it quoted inside the
        # JSON text is exact and works on PostgreSQL and the SQLite default alike.
        qs = qs.filter(languages__icontains=f'"{filters.language}"')
    offerings = (
        Offering.objects.live()
        .with_legality_conflict()
        .filter(offering_q)
        .only(*CARD_OFFERING_COLUMNS)
        .order_by("price_min_usd", "title", "pk")
    )
    if filters.condition:
        offerings = offerings.distinct()
    return qs.order_by(*SORT_ORDER.get(filters.sort, DIRECTORY_ORDER_BY)).prefetch_related(
        Prefetch("offerings", queryset=offerings, to_attr="matching_offerings"),
        Prefetch(
            "credentials", queryset=_current_credentials_all(day), to_attr="current_credentials"
        ),
    )


def directory_condition_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Active conditions grouped by category, for the filter's <optgroup>s (one query)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for slug, name, category in (
        Condition.objects.filter(is_active=True)
        .order_by("category", "name")
        .values_list("slug", "name", "category")
    ):
        groups.setdefault(category, []).append((slug, name))
    # Labels resolved once per request: get_FOO_display() re-translates every choice per row.
    labels = {value: str(label) for value, label in ConditionCategory.choices}
    return [(labels.get(cat, cat), items) for cat, items in groups.items()]


def directory_facets() -> tuple[list[str], list[str]]:
    """Countries and languages that vetted clinics have, for the filter choices (one query)."""
    country_codes: set[str] = set()
    language_codes: set[str] = set()
    for country, languages in (
        Clinic.objects.public().order_by().values_list("country", "languages")
    ):
        country_codes.add(str(country))
        language_codes.update(code for code in (languages or []) if isinstance(code, str))
    return sorted(country_codes), sorted(language_codes)


# --- Public profile ----------------------------------------------------------------
def public_clinic_profile(slug: str, *, on: dt.date | None = None) -> Clinic:
    """One vetted clinic with everything its profile shows; 404 for any other status.

    Prefetched lists: ``team`` (published doctors), ``live_offerings`` (with
    compliance; the view derives their badges), ``current_credentials`` (every
    current credential: ``badges_for`` drops the renewed ones), ``public_reviews``.
    Documents are never part of it: the credential rows are loaded without them.
    """
    day = on or timezone.localdate()
    qs = _ranked_base(day).prefetch_related(
        Prefetch(
            "doctors",
            queryset=Doctor.objects.filter(is_active=True).order_by("display_order", "full_name"),
            to_attr="team",
        ),
        Prefetch(
            "offerings",
            queryset=Offering.objects.live()
            .with_compliance()
            .prefetch_related(Prefetch("conditions", queryset=Condition.objects.order_by("name")))
            .order_by("price_min_usd", "title", "pk"),
            to_attr="live_offerings",
        ),
        Prefetch(
            "credentials", queryset=_current_credentials_all(day), to_attr="current_credentials"
        ),
        Prefetch(
            "reviews",
            queryset=Review.objects.filter(status=ReviewStatus.PUBLISHED)
            .only(
                "id",
                "clinic_id",
                "author_display_name",
                "rating",
                "body",
                "language",
                "created_at",
                "treatment_verified_at",
                "reply_body",
                "replied_at",
                "status",
                "stage",
            )
            .order_by("-created_at", "-pk"),
            to_attr="public_reviews",
        ),
    )
    return get_object_or_404(qs, slug=slug)
