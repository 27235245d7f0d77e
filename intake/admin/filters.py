"""Triage queue filters for the case changelist.

Each filter is one WHERE clause on the queue query: none of them adds a query
per row, and only the country filter runs a query of its own (the distinct
countries present, so the sidebar does not list 250 countries).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import admin
from django.db import connection
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from ..models import CLOSED_STATUSES, READINESS_TYPES, CaseStatus
from ..triage import CAUTION_FLAGS, Flag


def flags_text_contains(qs: QuerySet[Any], codes: Iterable[str]) -> QuerySet[Any]:
    """Cases whose ``triage_flags`` list holds ANY of ``codes``.

    The JSON list is matched as text (``"code"`` with its quotes), which works
    the same on PostgreSQL and on the embedded SQLite default, where JSON
    ``contains`` is not supported. Codes are our own constants, never input.
    """
    q = Q()
    for code in sorted(codes):
        q |= Q(_flags_text__contains=f'"{code}"')
    return qs.alias(_flags_text=Cast("triage_flags", TextField())).filter(q)


class QueueStatusFilter(admin.SimpleListFilter):
    """Open submitted cases by default: drafts and closed cases stay out of the way.

    A search looks at every status unless one is chosen: a concierge typing a
    reference must find the case even if it was closed last month.
    """

    title = _("status")
    parameter_name = "queue"
    DEFAULT = "open"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        self._searching = bool(request.GET.get("q", "").strip())
        super().__init__(request, params, model, model_admin)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        open_states = [
            (s.value, s.label)
            for s in CaseStatus
            if s.value not in CLOSED_STATUSES and s != CaseStatus.DRAFT
        ]
        return [
            ("open", _("Open (all submitted, not closed)")),
            *open_states,
            ("done", _("Closed or withdrawn")),
            (CaseStatus.DRAFT.value, _("Drafts (not submitted)")),
            ("all", _("All")),
        ]

    def value(self) -> str:
        return super().value() or ("all" if self._searching else self.DEFAULT)

    def choices(self, changelist: Any) -> Iterator[Any]:
        # No "All" link of Django's own: ours is explicit, and "open" is the default.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "all":
            return queryset
        if value == "open":
            return queryset.exclude(status__in=[*CLOSED_STATUSES, CaseStatus.DRAFT])
        if value == "done":
            return queryset.filter(status__in=CLOSED_STATUSES)
        if value in CaseStatus.values:
            return queryset.filter(status=value)
        return queryset.exclude(status__in=[*CLOSED_STATUSES, CaseStatus.DRAFT])


class FlagFilter(admin.SimpleListFilter):
    title = _("flags")
    parameter_name = "flags"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("hard", _("Hard contraindication")),
            ("caution", _("Any flag for a doctor")),
            ("adverse", _("Bad reaction to a previous treatment")),
            ("no_documents", _("No imaging or records yet")),
            ("clean", _("No flags at all")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "hard":
            return queryset.filter(has_hard_contraindication=True)
        if value == "caution":
            return flags_text_contains(queryset, CAUTION_FLAGS)
        if value == "adverse":
            return flags_text_contains(queryset, [Flag.PREVIOUS_ADVERSE])
        if value == "no_documents":
            return queryset.exclude(documents__doc_type__in=READINESS_TYPES)
        if value == "clean":
            return queryset.filter(has_hard_contraindication=False, triage_flags=[])
        return queryset


class OwnerFilter(admin.SimpleListFilter):
    title = _("owner")
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("mine", _("Mine")),
            ("unassigned", _("Unassigned")),
            ("others", _("Someone else's")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "mine":
            return queryset.filter(owner=request.user)
        if value == "unassigned":
            return queryset.filter(owner__isnull=True)
        if value == "others":
            return queryset.filter(owner__isnull=False).exclude(owner=request.user)
        return queryset


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


class AgeBucketFilter(admin.SimpleListFilter):
    """The patient's age today, computed from the date of birth in SQL."""

    title = _("patient age")
    parameter_name = "age"
    BUCKETS: dict[str, tuple[int | None, int | None]] = {
        "u18": (None, 18),
        "18_39": (18, 40),
        "40_59": (40, 60),
        "60_74": (60, 75),
        "75p": (75, None),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("u18", _("Under 18")),
            ("18_39", _("18 to 39")),
            ("40_59", _("40 to 59")),
            ("60_74", _("60 to 74")),
            ("75p", _("75 and over")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        bounds = self.BUCKETS.get(self.value() or "")
        if bounds is None:
            return queryset
        low, high = bounds
        today = timezone.localdate()
        q = Q()
        if low is not None:  # at least `low` years old: born on or before today-low
            q &= Q(patient__date_of_birth__lte=_years_ago(today, low))
        if high is not None:  # younger than `high`: born after today-high
            q &= Q(patient__date_of_birth__gt=_years_ago(today, high))
        return queryset.filter(q)


class WaitingFilter(admin.SimpleListFilter):
    """How long ago the case was submitted: the oldest waiting cases first."""

    title = _("waiting since submission")
    parameter_name = "waiting"
    BUCKETS: dict[str, tuple[int | None, int | None]] = {
        "lt1d": (None, 1),
        "1_3d": (1, 3),
        "3_7d": (3, 7),
        "gt7d": (7, None),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("lt1d", _("Less than a day")),
            ("1_3d", _("1 to 3 days")),
            ("3_7d", _("3 to 7 days")),
            ("gt7d", _("More than a week")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        bounds = self.BUCKETS.get(self.value() or "")
        if bounds is None:
            return queryset
        low, high = bounds
        now = timezone.now()
        q = Q(submitted_at__isnull=False)
        if low is not None:
            q &= Q(submitted_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            q &= Q(submitted_at__gt=now - dt.timedelta(days=high))
        return queryset.filter(q)


# PostgreSQL has no skip scan: a DISTINCT over 100,000 patients reads them all. This walks
# the country index instead, one probe per country present (a "loose index scan").
_COUNTRIES_SQL = """
WITH RECURSIVE present(code) AS (
    (SELECT p.country FROM intake_patient p
     WHERE EXISTS (SELECT 1 FROM intake_case c WHERE c.patient_id = p.id)
     ORDER BY p.country LIMIT 1)
    UNION ALL
    SELECT (SELECT p.country FROM intake_patient p
            WHERE p.country > present.code
              AND EXISTS (SELECT 1 FROM intake_case c WHERE c.patient_id = p.id)
            ORDER BY p.country LIMIT 1)
    FROM present WHERE present.code IS NOT NULL
)
SELECT code FROM present WHERE code IS NOT NULL
"""


def countries_with_cases() -> list[str]:
    """The countries of residence of patients who have a case (one query, any size)."""
    from ..models import Patient

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_COUNTRIES_SQL)
            return [str(code) for (code,) in cursor.fetchall()]
    return list(
        Patient.objects.filter(cases__isnull=False)
        .order_by()
        .values_list("country", flat=True)
        .distinct()
    )


class PatientCountryFilter(admin.SimpleListFilter):
    """Country of residence, listing only the countries that have cases."""

    title = _("country of residence")
    parameter_name = "country"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        codes = countries_with_cases()
        return sorted(((c, countries.name(c) or c) for c in codes if c), key=lambda p: str(p[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value:
            return queryset.filter(patient__country=value.upper()[:2])
        return queryset
