"""Model invariants: the rules hold from the admin and the shell, not only from the portal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinics.models import (
    VETTED_FACT_FIELDS,
    CellOrigin,
    CellSource,
    CellType,
    ChangeRequest,
    Clinic,
    ClinicStatus,
    CredentialKind,
    CredentialStatus,
    Doctor,
    Manipulation,
    ModerationReason,
    Offering,
    OfferingStatus,
    ReviewStatus,
    VettingDecision,
)
from tests.db import constraint_pattern
from tests.factories import ClinicFactory

from .factories import (
    CredentialFactory,
    OfferingFactory,
    ReviewFactory,
    VettingReviewFactory,
)

pytestmark = pytest.mark.django_db


def _violates(constraint: str, fn: object) -> None:
    with pytest.raises(IntegrityError, match=constraint_pattern(constraint)), transaction.atomic():
        fn()  # type: ignore[operator]


class TestOfferingInvariants:
    def test_a_cultured_offering_needs_a_cell_count(self) -> None:
        offering = OfferingFactory.build(
            clinic=ClinicFactory.create(),
            manipulation=Manipulation.CULTURED,
            cell_count_millions=None,
            volume_ml=Decimal("3"),
        )
        with pytest.raises(ValidationError) as exc:
            offering.full_clean()
        assert "cell_count_millions" in exc.value.message_dict
        _violates("clinics_offering_cultured_needs_cell_count", offering.save)

    def test_a_dose_must_be_stated_somehow(self) -> None:
        offering = OfferingFactory.build(
            clinic=ClinicFactory.create(),
            manipulation=Manipulation.MINIMAL,
            cell_count_millions=None,
            volume_ml=None,
        )
        with pytest.raises(ValidationError):
            offering.full_clean()
        _violates("clinics_offering_dose_stated", offering.save)

    def test_a_dose_only_in_ml_is_shown_as_minimally_manipulated(self) -> None:
        offering = OfferingFactory.create(
            manipulation=Manipulation.MINIMAL,
            cell_count_millions=None,
            volume_ml=Decimal("4"),
            cell_source=CellSource.BONE_MARROW,
        )
        assert offering.dose_only_in_ml
        assert offering.public_manipulation == Manipulation.MINIMAL
        assert offering.public_processing == str(Manipulation.MINIMAL.label)

    def test_a_cell_count_shows_the_manipulation_as_entered(self) -> None:
        offering = OfferingFactory.create(
            cell_count_millions=Decimal("100"), volume_ml=Decimal("10")
        )
        assert not offering.dose_only_in_ml
        assert offering.public_manipulation == Manipulation.CULTURED

    def test_a_cell_free_secretome_needs_no_cell_count_and_says_no_live_cells(self) -> None:
        offering = OfferingFactory.create(
            cell_type=CellType.SECRETOME,
            manipulation=Manipulation.CULTURED,
            cell_count_millions=None,
            volume_ml=Decimal("5"),
            cell_source=CellSource.UMBILICAL_CORD,
            origin=CellOrigin.AUTOLOGOUS,
        )
        offering.full_clean()
        assert "no live cells" in offering.public_processing

    def test_an_allogeneic_offering_is_not_published_without_donor_screening(self) -> None:
        clinic = ClinicFactory.create()
        offering = OfferingFactory.create(
            clinic=clinic,
            origin=CellOrigin.ALLOGENEIC,
            cell_source=CellSource.UMBILICAL_CORD,
            status=OfferingStatus.PENDING,
        )
        offering.full_clean()  # waiting for approval is fine
        offering.status = OfferingStatus.LIVE
        with pytest.raises(ValidationError) as exc:
            offering.full_clean()
        assert "donor-screening" in str(exc.value.message_dict["origin"])

    def test_a_pending_donor_screening_document_is_not_enough(self) -> None:
        clinic = ClinicFactory.create()
        CredentialFactory.create(
            clinic=clinic,
            kind=CredentialKind.DONOR_SCREENING,
            status=CredentialStatus.PENDING,
            verified_at=None,
        )
        offering = OfferingFactory.build(clinic=clinic, origin=CellOrigin.ALLOGENEIC)
        with pytest.raises(ValidationError):
            offering.full_clean(exclude=["conditions"])

    def test_a_verified_donor_screening_credential_allows_an_allogeneic_offering(self) -> None:
        clinic = ClinicFactory.create()
        CredentialFactory.create(clinic=clinic, kind=CredentialKind.DONOR_SCREENING)
        offering = OfferingFactory.create(clinic=clinic, origin=CellOrigin.ALLOGENEIC)
        offering.full_clean()

    def test_the_price_range_is_positive_and_ordered(self) -> None:
        offering = OfferingFactory.build(
            clinic=ClinicFactory.create(),
            price_min=Decimal("9000"),
            price_max=Decimal("5000"),
        )
        with pytest.raises(ValidationError) as exc:
            offering.full_clean(exclude=["conditions"])
        assert "price_max" in exc.value.message_dict
        _violates("clinics_offering_price_range_ordered", offering.save)

    def test_viability_is_a_percentage(self) -> None:
        offering = OfferingFactory.build(clinic=ClinicFactory.create(), viability_percent=140)
        with pytest.raises(ValidationError):
            offering.full_clean(exclude=["conditions"])
        _violates("clinics_offering_viability_is_percentage", offering.save)


class TestVettedFactFields:
    @pytest.mark.parametrize("model", list(VETTED_FACT_FIELDS))
    def test_every_listed_field_exists_and_the_sets_do_not_overlap(self, model: Any) -> None:
        names = {f.name for f in model._meta.get_fields()}
        vetted, cosmetic, system = (
            model.VETTED_FACT_FIELDS,
            model.COSMETIC_FIELDS,
            model.SYSTEM_FIELDS,
        )
        assert vetted | cosmetic | system <= names
        assert not vetted & cosmetic
        assert not (vetted | cosmetic) & system

    def test_status_verification_and_ownership_are_never_clinic_editable(self) -> None:
        for model in (Clinic, Offering, Doctor):
            editable = model.VETTED_FACT_FIELDS | model.COSMETIC_FIELDS
            assert not editable & {"status", "clinic", "verified_by", "verified_at", "id"}

    def test_cell_facts_and_prices_are_vetted(self) -> None:
        assert {
            "cell_type",
            "cell_source",
            "origin",
            "manipulation",
            "cell_count_millions",
            "volume_ml",
            "price_min",
            "price_max",
            "price_currency",
        } <= (Offering.VETTED_FACT_FIELDS)


class TestClinic:
    @pytest.mark.parametrize(
        ("start", "target", "allowed"),
        [
            (ClinicStatus.APPLIED, ClinicStatus.UNDER_REVIEW, True),
            (ClinicStatus.APPLIED, ClinicStatus.VETTED, False),
            (ClinicStatus.UNDER_REVIEW, ClinicStatus.VETTED, True),
            (ClinicStatus.VETTED, ClinicStatus.SUSPENDED, True),
            (ClinicStatus.VETTED, ClinicStatus.UNDER_REVIEW, True),
            (ClinicStatus.REJECTED, ClinicStatus.VETTED, False),
            (ClinicStatus.REJECTED, ClinicStatus.UNDER_REVIEW, True),
            (ClinicStatus.SUSPENDED, ClinicStatus.VETTED, False),
        ],
    )
    def test_the_transition_table(self, start: str, target: str, allowed: bool) -> None:
        assert Clinic(status=start).can_transition_to(target) is allowed

    def test_only_vetted_clinics_are_public(self) -> None:
        vetted = ClinicFactory.create(status=ClinicStatus.VETTED)
        for status in (
            ClinicStatus.APPLIED,
            ClinicStatus.UNDER_REVIEW,
            ClinicStatus.SUSPENDED,
            ClinicStatus.REJECTED,
        ):
            ClinicFactory.create(status=status)
        assert list(Clinic.objects.public()) == [vetted]

    def test_the_review_queue_needs_a_reason(self) -> None:
        clinic = ClinicFactory.create()
        clinic.review_requested_at = timezone.now()
        _violates("clinics_clinic_review_queue_has_reason", clinic.save)


class TestVettingReview:
    def test_a_clinic_is_vetted_only_on_a_complete_checklist(self) -> None:
        review = VettingReviewFactory.create(medical_team_checked=True)
        review.decision = VettingDecision.VETTED
        review.decided_at = timezone.now()
        assert not review.checklist_complete
        assert "follow-up process checked" in review.missing_checks()
        _violates("clinics_vettingreview_vetted_needs_full_checklist", review.save)

    def test_a_rejection_needs_no_complete_checklist(self) -> None:
        review = VettingReviewFactory.create()
        review.decision = VettingDecision.REJECTED
        review.decided_at = timezone.now()
        review.full_clean()
        review.save()


class TestReviewAndCredential:
    def test_a_review_is_published_only_with_a_verified_treatment(self) -> None:
        review = ReviewFactory.build(
            clinic=ClinicFactory.create(),
            author=None,
            treatment_verified_at=None,
            status=ReviewStatus.PUBLISHED,
        )
        _violates("clinics_review_published_needs_verified_treatment", review.save)

    def test_a_removed_review_carries_its_reason(self) -> None:
        review = ReviewFactory.create()
        review.status = ReviewStatus.REMOVED
        _violates("clinics_review_removed_has_reason", review.save)
        review.moderation_reason = ModerationReason.ABUSE
        review.moderated_at = timezone.now()
        review.save()

    def test_a_rating_is_one_to_five(self) -> None:
        review = ReviewFactory.build(clinic=ClinicFactory.create(), author=None, rating=6)
        _violates("clinics_review_rating_1_to_5", review.save)

    def test_a_credential_cannot_expire_before_it_was_issued(self) -> None:
        credential = CredentialFactory.build(
            clinic=ClinicFactory.create(),
            issued_on=dt.date(2026, 5, 1),
            expires_on=dt.date(2026, 4, 1),
        )
        _violates("clinics_credential_expires_after_issue", credential.save)

    def test_current_means_verified_and_in_date(self) -> None:
        today = timezone.localdate()
        assert CredentialFactory.create(expires_on=today).is_current()
        assert not CredentialFactory.create(expires_on=today - dt.timedelta(days=1)).is_current()
        assert not CredentialFactory.create(
            status=CredentialStatus.PENDING, verified_at=None
        ).is_current()
        assert CredentialFactory.create(expires_on=None).is_current()


def test_only_one_pending_change_request_per_target() -> None:
    offering = OfferingFactory.create()
    fields = {
        "clinic": offering.clinic,
        "target": offering,
        "changes": {"sessions": 2},
        "original": {"sessions": 1},
    }
    ChangeRequest.objects.create(**fields)
    _violates(
        "clinics_changerequest_one_pending_per_target",
        lambda: ChangeRequest.objects.create(**fields),
    )


class TestPlainWords:
    def test_a_same_day_offering_says_it_is_not_a_cell_count(self) -> None:
        offering = OfferingFactory.build(
            manipulation=Manipulation.MINIMAL,
            cell_count_millions=None,
            volume_ml=Decimal("60"),
            cell_source=CellSource.BONE_MARROW,
            origin=CellOrigin.AUTOLOGOUS,
            sessions=1,
            typical_stay_nights=2,
        )
        words = " ".join(offering.plain_words())
        assert "your own cells" in words.lower()
        assert "60 mL" in words
        assert "not a counted number" in words
        assert "1 session; plan to stay about 2 nights." in words

    def test_a_donor_cultured_offering_names_the_screening_and_the_count(self) -> None:
        offering = OfferingFactory.build(
            origin=CellOrigin.ALLOGENEIC,
            cell_source=CellSource.UMBILICAL_CORD,
            cell_count_millions=Decimal("100"),
            viability_percent=95,
            sessions=2,
        )
        words = " ".join(offering.plain_words())
        assert "Donors are screened" in words
        assert "100 million cells" in words
        assert "95% of the cells" in words
        assert "2 sessions" in words


def test_languages_are_iso_codes() -> None:
    clinic = ClinicFactory.build(languages=["es", "<script>"])
    with pytest.raises(ValidationError) as exc:
        clinic.full_clean()
    assert "languages" in exc.value.message_dict
    ClinicFactory.build(languages=["es", "en"]).full_clean()


@pytest.mark.django_db
def test_a_clinic_slug_cannot_shadow_a_portal_page() -> None:
    from django.core.exceptions import ValidationError

    from clinics.models import Clinic

    clinic = Clinic(name="Cases", slug="cases", country="MX", city="Tijuana")
    with pytest.raises(ValidationError) as excinfo:
        clinic.full_clean()
    assert "slug" in excinfo.value.message_dict
