"""The triage queue's query at any size: its search, and its per-row document counts.

Search: a case reference, or a patient's name or e-mail.

Django's own admin search ORs every field over a join of cases and patients, which
reads every row of both tables whatever the term. Here a term asks for the reference
only when it could be part of one: a reference is written only in its own alphabet
(``SC-`` and ``REFERENCE_ALPHABET``), so "smith" can never match one and no reference
is read. Such a term is matched on the joined patient's name and e-mail alone, which
the trigram indexes on ``UPPER(full_name)`` and ``UPPER(email)`` answer on PostgreSQL;
a term that could be part of a reference asks the patients table on its own
(``patient_id IN (...)``) OR the reference.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import smart_split, unescape_string_literal

from ..models import Case, CaseDocument, Patient
from ..models.case import REFERENCE_ALPHABET

REFERENCE_CHARACTERS = frozenset(REFERENCE_ALPHABET + "SC-")


def could_be_in_a_reference(term: str) -> bool:
    return bool(term) and set(term.upper()) <= REFERENCE_CHARACTERS


def _terms(search: str) -> list[str]:
    """Words as Django's admin splits them (quoted phrases stay whole)."""
    terms = []
    for bit in smart_split(search):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            terms.append(bit)
    return terms


def case_search(queryset: QuerySet[Case], search: str) -> QuerySet[Case]:
    """Cases matching every word of ``search`` in their reference or patient's name/e-mail."""
    term = search.strip()
    if term.upper().startswith("SC-") and " " not in term:
        # A whole reference is exact: one hit, through the unique index.
        return queryset.filter(reference__iexact=term)
    for word in _terms(term):
        match: Any
        if could_be_in_a_reference(word):
            patients = Patient.objects.filter(
                Q(full_name__icontains=word) | Q(email__icontains=word)
            )
            match = Q(patient__in=patients.values("pk")) | Q(reference__icontains=word)
        else:
            # On the joined patient row (the page's own join, select_related): the planner
            # finds the patients through the trigram indexes and then their cases. As an
            # ``IN (subquery)`` it read the patients table twice, once to join it for the
            # page (a full scan at 100,000 patients: 15 ms against 9 ms).
            match = Q(patient__full_name__icontains=word) | Q(patient__email__icontains=word)
        queryset = queryset.filter(match)
    return queryset


def document_count(doc_types: frozenset[str]) -> Coalesce:
    """A case's documents of ``doc_types``, as a correlated subquery (0 when none).

    Not a join and GROUP BY over every case: the database counts documents for the
    page's rows only, after the sort and the limit, and the paginator's COUNT(*)
    reads the cases table alone.
    """
    return Coalesce(
        Subquery(
            CaseDocument.objects.filter(case=OuterRef("pk"), doc_type__in=doc_types)
            .order_by()
            .values("case")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )
