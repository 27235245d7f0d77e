"""The public directory (/clinics/): filters, ranking, badges, bad input, query count."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from clinics.models import (
    CellOrigin,
    CellSource,
    CellType,
    ClinicStatus,
    Condition,
    CredentialKind,
    Manipulation,
    OfferingStatus,
)
from clinics.querysets import DIRECTORY_RANKING_SUMMARY
from tests.factories import ClinicFactory, ConditionFactory

from .factories import CredentialFactory, OfferingFactory, ReviewFactory, give_badge
from .web_helpers import full_clinic, hidden_clinic, knee, yesterday

pytestmark = pytest.mark.django_db

URL = "/clinics/"


def names(response: Any) -> list[str]:
    return [card.clinic.name for card in response.context["cards"]]


def test_the_directory_url_is_named() -> None:
    assert reverse("clinics:directory") == URL


def test_it_lists_only_vetted_clinics(client: Client) -> None:
    full_clinic(1)
    hidden_clinic(ClinicStatus.UNDER_REVIEW)
    ClinicFactory(name="Suspended Clinic", status=ClinicStatus.SUSPENDED)
    ClinicFactory(name="Applied Clinic", status=ClinicStatus.APPLIED)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Clinic 001" in body
    for hidden in (
        "Hidden Clinic Under Review",
        "Suspended Clinic",
        "Applied Clinic",
        "Hidden offering",
    ):
        assert hidden not in body


def test_each_card_shows_verification_badges_with_verified_on_dates(client: Client) -> None:
    clinic = full_clinic(1)
    licence = clinic.credentials.get(kind=CredentialKind.MEDICAL_LICENCE)
    body = client.get(URL).content.decode()
    assert "Licence and insurance verified and in date" in body
    assert 'title="Medical or clinic licence"' in body and "Licence</abbr> verified on" in body
    assert licence.verified_at is not None
    assert licence.verified_at.strftime("%Y") in body


def test_an_expired_licence_removes_the_card_badge(client: Client) -> None:
    clinic = ClinicFactory(name="Lapsed Clinic")
    CredentialFactory(
        clinic=clinic,
        kind=CredentialKind.MEDICAL_LICENCE,
        expires_on=yesterday(),
        issued_on=yesterday().replace(year=yesterday().year - 1),
    )
    CredentialFactory(clinic=clinic, kind=CredentialKind.INSURANCE)
    OfferingFactory(clinic=clinic)
    body = client.get(URL).content.decode()
    assert "A required credential is not verified or has expired" in body
    assert "Licence</abbr> verified on" not in body
    assert "Insurance</abbr> verified on" in body


def test_the_page_explains_the_published_ranking_rule(client: Client) -> None:
    full_clinic(1)
    body = client.get(URL).content.decode()
    assert 'id="ranking-rule"' in body
    assert escape(str(DIRECTORY_RANKING_SUMMARY)) in body
    assert "No clinic can pay" in body


def test_it_ranks_verified_clinics_first_then_by_adjusted_rating(client: Client) -> None:
    unverified = ClinicFactory(name="Aardvark Unverified")
    ReviewFactory(clinic=unverified, rating=5)
    one_review = ClinicFactory(name="Beta One Review")
    give_badge(one_review)
    ReviewFactory(clinic=one_review, rating=5)
    many = ClinicFactory(name="Gamma Many Reviews")
    give_badge(many)
    for _ in range(12):
        ReviewFactory(clinic=many, rating=5)
    for clinic in (unverified, one_review, many):
        OfferingFactory(clinic=clinic)
    assert names(client.get(URL)) == [
        "Gamma Many Reviews",
        "Beta One Review",
        "Aardvark Unverified",
    ]
    assert names(client.get(URL, {"sort": "name"})) == [
        "Aardvark Unverified",
        "Beta One Review",
        "Gamma Many Reviews",
    ]


def test_it_sorts_by_lowest_starting_price(client: Client) -> None:
    dear = ClinicFactory(name="Dear")
    OfferingFactory(clinic=dear, price_min=Decimal(20000), price_max=Decimal(30000))
    cheap = ClinicFactory(name="Cheap")
    OfferingFactory(clinic=cheap, price_min=Decimal(2000), price_max=Decimal(3000))
    assert names(client.get(URL, {"sort": "price"})) == ["Cheap", "Dear"]


class TestFilters:
    def test_condition_country_and_language(self, client: Client) -> None:
        condition = knee()
        hair = cast(Condition, ConditionFactory(name="Hair loss", slug="hair-loss"))
        mx = full_clinic(1, condition=condition, country="MX", languages=["es", "en"])
        th = full_clinic(2, condition=hair, country="TH", languages=["th", "en"])
        assert names(client.get(URL, {"condition": "knee-osteoarthritis"})) == [mx.name]
        assert names(client.get(URL, {"country": "TH"})) == [th.name]
        assert names(client.get(URL, {"language": "th"})) == [th.name]
        assert sorted(names(client.get(URL, {"language": "en"}))) == [mx.name, th.name]

    def test_cell_type_origin_and_processing(self, client: Client) -> None:
        own = ClinicFactory(name="Own Cells")
        OfferingFactory(clinic=own)  # cultured autologous MSC
        donor = ClinicFactory(name="Donor Cells")
        give_badge(donor, kinds=(CredentialKind.DONOR_SCREENING,))
        OfferingFactory(
            clinic=donor, origin=CellOrigin.ALLOGENEIC, cell_source=CellSource.UMBILICAL_CORD
        )
        exo = ClinicFactory(name="Exosomes Only")
        OfferingFactory(
            clinic=exo,
            cell_type=CellType.SECRETOME,
            cell_count_millions=None,
            volume_ml=Decimal("3"),
            manipulation=Manipulation.CULTURED,
        )
        assert names(client.get(URL, {"origin": "allogeneic"})) == ["Donor Cells"]
        assert names(client.get(URL, {"cell_type": "secretome"})) == ["Exosomes Only"]
        # A dose only in mL is minimally manipulated, whatever the clinic typed.
        assert names(client.get(URL, {"manipulation": "minimal"})) == ["Exosomes Only"]
        assert sorted(names(client.get(URL, {"manipulation": "cultured"}))) == [
            "Donor Cells",
            "Own Cells",
        ]

    def test_a_price_range_matches_overlapping_offerings(self, client: Client) -> None:
        cheap = ClinicFactory(name="Cheap")
        OfferingFactory(clinic=cheap, price_min=Decimal(1500), price_max=Decimal(3000))
        dear = ClinicFactory(name="Dear")
        OfferingFactory(clinic=dear, price_min=Decimal(25000), price_max=Decimal(40000))
        assert names(client.get(URL, {"price_max": "5000"})) == ["Cheap"]
        assert names(client.get(URL, {"price_min": "20000"})) == ["Dear"]
        assert names(client.get(URL, {"price_min": "2500", "price_max": "26000"})) in (
            ["Cheap", "Dear"],
            ["Dear", "Cheap"],
        )

    def test_all_offering_filters_must_match_the_same_offering(self, client: Client) -> None:
        """
        GIVEN a clinic whose donor offering is expensive and whose own-cell offering is cheap
        WHEN a visitor asks for donor cells under USD 5,000
        THEN the clinic is not listed: no single offering is both
        """
        clinic = ClinicFactory(name="Split Clinic")
        give_badge(clinic, kinds=(CredentialKind.DONOR_SCREENING,))
        OfferingFactory(
            clinic=clinic,
            origin=CellOrigin.ALLOGENEIC,
            price_min=Decimal(20000),
            price_max=Decimal(30000),
        )
        OfferingFactory(clinic=clinic, price_min=Decimal(2000), price_max=Decimal(3000))
        assert names(client.get(URL, {"origin": "allogeneic", "price_max": "5000"})) == []
        assert names(client.get(URL, {"origin": "allogeneic", "price_max": "25000"})) == [
            "Split Clinic"
        ]

    def test_pending_and_withdrawn_offerings_do_not_count(self, client: Client) -> None:
        clinic = ClinicFactory(name="Only Pending NK")
        OfferingFactory(clinic=clinic, cell_type=CellType.NK, status=OfferingStatus.PENDING)
        OfferingFactory(clinic=clinic, cell_type=CellType.HSC, status=OfferingStatus.WITHDRAWN)
        assert names(client.get(URL, {"cell_type": "nk"})) == []
        assert names(client.get(URL, {"cell_type": "hsc"})) == []


GARBAGE: list[dict[str, str]] = [
    {"country": "'; DROP TABLE clinics_clinic; --"},
    {"condition": "knee' OR '1'='1"},
    {"cell_type": 'msc" OR 1=1 --', "origin": "%", "manipulation": "_"},
    {"price_min": "-5", "price_max": "1e400"},
    {"price_min": "9999999999999999999999999", "price_max": "NaN"},
    {"price_min": "30000", "price_max": "10"},
    {"language": '"es"', "sort": "name; DELETE FROM core_user"},
    {"sort": "-id", "page": "0"},
    {"page": "99999999999999999999"},
    {"page": "abc", "language": "\\"},
    {"country": "\x00", "condition": "%00"},
    {"language": "e%", "country": "M_"},
    {"condition": "a" * 5000},
]


@pytest.mark.parametrize("params", GARBAGE)
def test_garbage_and_sql_metacharacters_give_a_normal_page(
    client: Client, params: dict[str, str]
) -> None:
    full_clinic(1)
    response = client.get(URL, params)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Vetted stem-cell clinics" in body
    assert "DROP TABLE" not in body and "DELETE FROM" not in body  # never echoed back


def test_a_bad_parameter_is_reported_and_ignored_while_good_ones_apply(client: Client) -> None:
    full_clinic(1, country="MX")
    full_clinic(2, country="TH", languages=["th"])
    response = client.get(URL, {"country": "TH", "language": "xx'--"})
    assert names(response) == ["Clinic 002"]
    assert "Choose one of the listed options." in response.content.decode()
    assert response.context["form"].errors.keys() == {"language"}


def test_repeated_parameters_and_an_empty_query_are_fine(client: Client) -> None:
    full_clinic(1)
    assert client.get(URL + "?country=MX&country=TH&sort=&sort=price").status_code == 200
    assert client.get(URL + "?").status_code == 200


def test_filters_collapse_on_phones_and_the_page_is_mobile_first(client: Client) -> None:
    full_clinic(1)
    body = client.get(URL).content.decode()
    assert 'id="directory-filters"' in body
    assert 'class="collapse directory-filters"' in body
    assert 'data-bs-target="#directory-filters"' in body
    assert "css/clinics.css" in body


def test_pagination_keeps_only_valid_filters(client: Client) -> None:
    condition = knee()
    for n in range(23):
        full_clinic(n, condition=condition, country="MX")
    response = client.get(URL, {"country": "MX", "language": "zz", "page": "2"})
    assert response.status_code == 200
    assert response.context["page"].number == 2
    body = response.content.decode()
    # The "previous page" link carries the valid filter, not the invalid one.
    assert 'href="?country=MX&amp;page=1"' in body


def _count_directory_queries(client: Client, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


DIRECTORY_QUERIES = 6  # facets, conditions, count, clinics, offerings, credentials


def test_the_query_count_is_pinned_and_does_not_grow_with_clinics(
    client: Client,
    django_assert_num_queries: Callable[..., Any],
    figure: Callable[..., None],
) -> None:
    """
    GIVEN 5, then 50 vetted clinics, each with offerings, credentials, doctors and reviews
    WHEN the directory is rendered (all filters too)
    THEN it takes the same, pinned number of queries
    """
    condition = knee()
    for n in range(5):
        full_clinic(n, condition=condition)
    with django_assert_num_queries(DIRECTORY_QUERIES):
        assert len(client.get(URL).context["cards"]) == 5
    five = _count_directory_queries(client)

    for n in range(5, 50):
        full_clinic(n, condition=condition)
    with django_assert_num_queries(DIRECTORY_QUERIES):
        assert len(client.get(URL).context["cards"]) == 20
    fifty = _count_directory_queries(client)
    filtered = _count_directory_queries(
        client,
        {
            "condition": condition.slug,
            "cell_type": "msc",
            "origin": "autologous",
            "manipulation": "cultured",
            "price_min": "1000",
            "price_max": "20000",
            "language": "en",
            "sort": "rating",
            "page": "2",
        },
    )
    assert five == fifty == filtered == DIRECTORY_QUERIES
    figure("directory_queries", clinics_5=five, clinics_50=fifty)


PARAM_NAMES = (
    "condition",
    "country",
    "cell_type",
    "origin",
    "manipulation",
    "price_min",
    "price_max",
    "language",
    "sort",
    "page",
)


def test_any_parameter_values_give_a_normal_page(client: Client) -> None:
    """Property: whatever text arrives in any parameter (NUL, quotes, %, huge numbers) -> 200."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    full_clinic(1)
    text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60)
    values = st.one_of(
        text,
        st.integers().map(str),
        st.floats().map(str),
        st.sampled_from(["'", '"', "%", "_", "\\", "\x00", "--", ";", "1e999"]),
    )

    @settings(
        max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.dictionaries(st.sampled_from(PARAM_NAMES), values, max_size=len(PARAM_NAMES)))
    def check(params: dict[str, str]) -> None:
        response = client.get(URL, params)
        assert response.status_code == 200, params

    check()
