"""Legality flags, verified badges and the directory's ranking, each in one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from clinics.models import (
    CellOrigin,
    CellSource,
    CellType,
    Clinic,
    ClinicStatus,
    Compliance,
    CredentialKind,
    Legality,
    Manipulation,
    Offering,
    OfferingStatus,
    ReviewStatus,
)
from clinics.querysets import DIRECTORY_RANKING, DIRECTORY_RANKING_SUMMARY
from tests.factories import ClinicFactory, ConditionFactory

from .factories import (
    CredentialFactory,
    LegalityRuleFactory,
    OfferingFactory,
    ReviewFactory,
    give_badge,
)

pytestmark = pytest.mark.django_db


def _compliance(offering: Offering) -> str:
    return str(Offering.objects.with_compliance().get(pk=offering.pk).compliance)


class TestLegality:
    def test_a_cord_msc_offering_in_japan_conflicts_with_the_table(self) -> None:
        """
        GIVEN the table says allogeneic cord-derived MSCs are not allowed in Japan
        WHEN a Tokyo clinic offers donor cord MSCs
        THEN the offering is flagged as a conflict, and is never compliant
        """
        LegalityRuleFactory.create(country="JP", legality=Legality.RESTRICTED)
        LegalityRuleFactory.create(
            country="JP",
            cell_type=CellType.MSC,
            origin=CellOrigin.ALLOGENEIC,
            cell_source=CellSource.UMBILICAL_CORD,
            legality=Legality.NOT_ALLOWED,
        )
        tokyo = ClinicFactory.create(country="JP", city="Tokyo", time_zone="Asia/Tokyo")
        CredentialFactory.create(clinic=tokyo, kind=CredentialKind.DONOR_SCREENING)
        cord = OfferingFactory.create(
            clinic=tokyo,
            origin=CellOrigin.ALLOGENEIC,
            cell_source=CellSource.UMBILICAL_CORD,
        )
        own_fat = OfferingFactory.create(clinic=tokyo)
        assert _compliance(cord) == Compliance.CONFLICT
        assert _compliance(own_fat) == Compliance.COMPLIANT
        assert list(Offering.objects.conflicting()) == [cord]

    def test_an_empty_column_means_any(self) -> None:
        LegalityRuleFactory.create(
            country="DE", origin=CellOrigin.ALLOGENEIC, legality=Legality.NOT_ALLOWED
        )
        berlin = ClinicFactory.create(country="DE")
        CredentialFactory.create(clinic=berlin, kind=CredentialKind.DONOR_SCREENING)
        offering = OfferingFactory.create(
            clinic=berlin,
            origin=CellOrigin.ALLOGENEIC,
            cell_source=CellSource.PLACENTA,
        )
        assert _compliance(offering) == Compliance.CONFLICT

    def test_without_a_rule_an_offering_is_unknown_never_compliant(self) -> None:
        offering = OfferingFactory.create(clinic=ClinicFactory.create(country="PA"))
        assert _compliance(offering) == Compliance.UNKNOWN

    def test_a_conflicting_rule_wins_over_an_allowing_one(self) -> None:
        LegalityRuleFactory.create(country="MX", legality=Legality.ALLOWED)
        LegalityRuleFactory.create(
            country="MX", cell_type=CellType.NK, legality=Legality.NOT_ALLOWED
        )
        offering = OfferingFactory.create(
            clinic=ClinicFactory.create(country="MX"), cell_type=CellType.NK
        )
        assert _compliance(offering) == Compliance.CONFLICT

    def test_a_rule_for_another_country_does_not_apply(self) -> None:
        LegalityRuleFactory.create(country="JP", legality=Legality.NOT_ALLOWED)
        offering = OfferingFactory.create(clinic=ClinicFactory.create(country="MX"))
        assert _compliance(offering) == Compliance.UNKNOWN


class TestBadges:
    def test_a_clinic_has_the_badge_only_with_a_current_licence_and_insurance(self) -> None:
        clinic = ClinicFactory.create()
        CredentialFactory.create(clinic=clinic, kind=CredentialKind.MEDICAL_LICENCE)
        assert not Clinic.objects.with_badge().get(pk=clinic.pk).has_verified_badge
        CredentialFactory.create(clinic=clinic, kind=CredentialKind.INSURANCE)
        assert Clinic.objects.with_badge().get(pk=clinic.pk).has_verified_badge

    def test_an_expired_lab_certificate_removes_the_badge_only_from_cultured_offerings(
        self,
    ) -> None:
        clinic = ClinicFactory.create()
        give_badge(clinic)
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        CredentialFactory.create(
            clinic=clinic, kind=CredentialKind.LAB_CERTIFICATE, expires_on=yesterday
        )
        CredentialFactory.create(clinic=clinic, kind=CredentialKind.CELL_QUALITY)
        cultured = OfferingFactory.create(clinic=clinic)
        same_day = OfferingFactory.create(
            clinic=clinic,
            manipulation=Manipulation.MINIMAL,
            cell_count_millions=None,
            volume_ml=Decimal("60"),
            cell_source=CellSource.BONE_MARROW,
        )
        badges = dict(Offering.objects.with_badge().values_list("pk", "has_verified_badge"))
        assert badges == {cultured.pk: False, same_day.pk: True}
        # The lab certificate was valid yesterday: so was the badge.
        before = dict(
            Offering.objects.with_badge(on=yesterday).values_list("pk", "has_verified_badge")
        )
        assert before[cultured.pk] is True

    def test_an_allogeneic_offering_needs_current_donor_screening_for_its_badge(self) -> None:
        clinic = ClinicFactory.create()
        give_badge(
            clinic,
            kinds=(
                CredentialKind.MEDICAL_LICENCE,
                CredentialKind.INSURANCE,
                CredentialKind.LAB_CERTIFICATE,
                CredentialKind.CELL_QUALITY,
            ),
        )
        screening = CredentialFactory.create(clinic=clinic, kind=CredentialKind.DONOR_SCREENING)
        offering = OfferingFactory.create(clinic=clinic, origin=CellOrigin.ALLOGENEIC)
        assert Offering.objects.with_badge().get(pk=offering.pk).has_verified_badge
        screening.expires_on = timezone.localdate() - dt.timedelta(days=2)
        screening.save()
        assert not Offering.objects.with_badge().get(pk=offering.pk).has_verified_badge


class TestDirectory:
    def test_stats_count_only_published_reviews_and_current_credentials(self) -> None:
        clinic = ClinicFactory.create()
        give_badge(clinic)
        CredentialFactory.create(
            clinic=clinic,
            kind=CredentialKind.LAB_CERTIFICATE,
            expires_on=timezone.localdate() - dt.timedelta(days=3),
        )
        ReviewFactory.create(clinic=clinic, rating=5)
        ReviewFactory.create(clinic=clinic, rating=2)
        ReviewFactory.create(clinic=clinic, rating=1, status=ReviewStatus.AWAITING_VERIFICATION)
        OfferingFactory.create(clinic=clinic, price_min=Decimal("4000"), price_max=Decimal("5000"))
        OfferingFactory.create(
            clinic=clinic,
            price_min=Decimal("3000"),
            price_max=Decimal("3500"),
            status=OfferingStatus.PENDING,
        )
        row = Clinic.objects.with_directory_stats().get(pk=clinic.pk)
        assert row.review_count == 2
        assert row.rating_avg == pytest.approx(3.5)
        assert row.verified_credential_count == 2
        assert row.has_verified_badge is True
        assert row.live_offering_count == 1
        assert row.price_from_usd == Decimal("4000.00")
        assert row.latest_verification_at is not None

    def test_the_ranking_puts_verified_clinics_first_then_the_adjusted_rating(self) -> None:
        """
        GIVEN a clinic with one five-star review, one with forty 4-5 star reviews,
              and an unverified clinic with perfect reviews
        WHEN the directory is ranked
        THEN badge first, then the adjusted rating: forty good reviews beat one perfect one
        """
        lone = ClinicFactory.create(name="Alpha Lone Review")
        many = ClinicFactory.create(name="Zeta Many Reviews")
        unverified = ClinicFactory.create(name="Beta Unverified")
        for clinic in (lone, many):
            give_badge(clinic)
        ReviewFactory.create(clinic=lone, rating=5)
        for i in range(40):
            ReviewFactory.create(clinic=many, rating=5 if i % 2 else 4)
        for _ in range(3):
            ReviewFactory.create(clinic=unverified, rating=5)
        ClinicFactory.create(name="Hidden", status=ClinicStatus.UNDER_REVIEW)
        names = list(Clinic.objects.ranked().values_list("name", flat=True))
        assert names == ["Zeta Many Reviews", "Alpha Lone Review", "Beta Unverified"]

    def test_the_ranking_rule_is_documented_for_the_public(self) -> None:
        text = " ".join(str(s) for s in DIRECTORY_RANKING)
        assert "verified" in text
        assert "pay" in str(DIRECTORY_RANKING_SUMMARY)

    @pytest.mark.parametrize("clinics", [5, 50])
    def test_the_ranked_directory_is_one_query_however_many_clinics(
        self,
        clinics: int,
        django_assert_num_queries: Callable[..., Any],
        figure: Callable[..., None],
    ) -> None:
        condition = ConditionFactory.create()
        for i in range(clinics):
            clinic = ClinicFactory.create()
            give_badge(clinic)
            OfferingFactory.create(clinic=clinic, conditions=[condition])
            ReviewFactory.create(clinic=clinic, rating=1 + i % 5)
        with django_assert_num_queries(1):
            rows = list(
                Clinic.objects.ranked()
                .treating(condition.slug)
                .in_countries(["mx"])
                .within_budget_usd(10_000)
            )
        assert len(rows) == clinics
        assert all(row.review_count == 1 for row in rows)
        figure("clinic_directory_queries", clinics=clinics, queries=1)
