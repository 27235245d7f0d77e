"""The public clinic profile (/clinics/<slug>/) and the plain-words offering passport."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse

from clinics.models import (
    CellOrigin,
    CellSource,
    CellType,
    Clinic,
    ClinicStatus,
    CredentialKind,
    CredentialStatus,
    Legality,
    Manipulation,
    Offering,
    OfferingStatus,
    ReviewStatus,
    Route,
)
from clinics.views.passport import plain_words
from tests.factories import ClinicFactory

from .factories import (
    CredentialFactory,
    DoctorFactory,
    LegalityRuleFactory,
    OfferingFactory,
    ReviewFactory,
    give_badge,
)
from .web_helpers import full_clinic, hidden_clinic

pytestmark = pytest.mark.django_db


def url(slug: str) -> str:
    return reverse("clinics:profile", kwargs={"slug": slug})


class TestPlainWords:
    """The passport sentence, from unsaved offerings (no database needed)."""

    def test_the_issue_example_reads_as_written(self) -> None:
        offering = Offering(
            origin=CellOrigin.AUTOLOGOUS,
            cell_source=CellSource.ADIPOSE,
            cell_type=CellType.MSC,
            manipulation=Manipulation.CULTURED,
            cell_count_millions=Decimal("100"),
            route=Route.IV,
        )
        assert plain_words(offering) == (
            "Your own cells (autologous) from fat tissue, expanded in a lab to 100 million "
            "cells, given by IV infusion over 60-120 minutes."
        )

    def test_a_dose_only_in_ml_reads_as_minimally_manipulated_same_day(self) -> None:
        # The clinic typed "cultured" but gave only a volume: the public sees the truth.
        offering = Offering(
            origin=CellOrigin.AUTOLOGOUS,
            cell_source=CellSource.BONE_MARROW,
            cell_type=CellType.MSC,
            manipulation=Manipulation.CULTURED,
            cell_count_millions=None,
            volume_ml=Decimal("8"),
            route=Route.JOINT,
        )
        text = plain_words(offering)
        assert "minimally manipulated" in text and "same day" in text and "8 mL" in text
        assert "expanded in a lab" not in text
        assert offering.public_processing.startswith("Minimally manipulated")

    def test_secretome_says_no_live_cells(self) -> None:
        offering = Offering(
            origin=CellOrigin.ALLOGENEIC,
            cell_source=CellSource.UMBILICAL_CORD,
            cell_type=CellType.SECRETOME,
            manipulation=Manipulation.CULTURED,
            volume_ml=Decimal("3"),
            route=Route.IV,
        )
        text = plain_words(offering)
        assert text.startswith("No live cells")
        assert "million cells" not in text

    def test_donor_cells_say_so(self) -> None:
        offering = Offering(
            origin=CellOrigin.ALLOGENEIC,
            cell_source=CellSource.UMBILICAL_CORD,
            cell_type=CellType.MSC,
            manipulation=Manipulation.CULTURED,
            cell_count_millions=Decimal("1500"),
            route=Route.IV,
        )
        assert plain_words(offering).startswith(
            "Cells from a screened donor (allogeneic) from umbilical cord tissue"
        )
        assert "1,500 million cells" in plain_words(offering)


def test_a_vetted_clinic_shows_team_offerings_credentials_reviews_and_the_intake_call(
    client: Client,
) -> None:
    clinic = full_clinic(1)
    doctor = clinic.doctors.get()
    response = client.get(url(clinic.slug))
    assert response.status_code == 200
    body = response.content.decode()
    place = '<span translate="no">Guadalajara</span>, Colombia &middot; Speaks Spanish, English'
    assert place in body
    assert doctor.full_name in body and doctor.licence_number in body
    assert "Cultured MSC infusion 1" in body
    assert "given by IV infusion over 60-120 minutes" in body
    assert "Medical or clinic licence" in body and "Verified on" in body
    assert "Careful and honest." in body and "Slow to answer afterwards." in body  # good and bad
    assert 'href="/intake/?clinic=clinic-001"' in body


@pytest.mark.parametrize(
    "status",
    [
        ClinicStatus.APPLIED,
        ClinicStatus.UNDER_REVIEW,
        ClinicStatus.SUSPENDED,
        ClinicStatus.REJECTED,
    ],
)
def test_a_clinic_that_is_not_vetted_is_a_404(client: Client, status: str) -> None:
    clinic = hidden_clinic(status)
    response = client.get(url(clinic.slug))
    assert response.status_code == 404
    assert b"Hidden" not in response.content


def test_an_unknown_or_malformed_slug_is_a_404(client: Client) -> None:
    assert client.get(url("no-such-clinic")).status_code == 404
    assert client.get("/clinics/%27%20OR%201=1--/").status_code == 404


def test_credential_documents_are_never_linked_or_named_publicly(client: Client) -> None:
    clinic = full_clinic(1)
    body = client.get(url(clinic.slug)).content.decode()
    for credential in clinic.credentials.all():
        assert str(credential.document.name) not in body
        assert credential.document_name not in body
        assert credential.document_sha256 not in body
    assert "credential-documents" not in body
    assert "private-media" not in body


def test_private_and_unpublished_things_stay_off_the_profile(client: Client) -> None:
    clinic = full_clinic(1, contact_email="ops@private.example", contact_name="Private Person")
    OfferingFactory(clinic=clinic, title="Pending Secret Protocol", status=OfferingStatus.PENDING)
    OfferingFactory(clinic=clinic, title="Withdrawn Old Protocol", status=OfferingStatus.WITHDRAWN)
    DoctorFactory(clinic=clinic, full_name="Dr. Not Yet Checked", is_active=False, verified_at=None)
    ReviewFactory(
        clinic=clinic,
        body="Awaiting verification text",
        status=ReviewStatus.AWAITING_VERIFICATION,
        treatment_verified_at=None,
    )
    CredentialFactory(
        clinic=clinic,
        kind=CredentialKind.INSURANCE,
        issuer="Pending Issuer Co",
        status=CredentialStatus.PENDING,
        verified_at=None,
    )
    body = client.get(url(clinic.slug)).content.decode()
    for secret in (
        "ops@private.example",
        "Private Person",
        "Pending Secret Protocol",
        "Withdrawn Old Protocol",
        "Dr. Not Yet Checked",
        "Awaiting verification text",
        "Pending Issuer Co",
    ):
        assert secret not in body


def test_the_clinic_reply_is_shown_under_its_review(client: Client) -> None:
    clinic = cast(Clinic, ClinicFactory())
    from django.utils import timezone

    ReviewFactory(
        clinic=clinic,
        rating=1,
        body="It went badly.",
        reply_body="We are sorry and called you.",
        replied_at=timezone.now(),
    )
    body = client.get(url(clinic.slug)).content.decode()
    assert "It went badly." in body
    assert f"Reply from {clinic.name}" in body and "We are sorry and called you." in body


def test_a_conflicting_offering_never_shows_as_compliant(client: Client) -> None:
    """
    GIVEN Japan's table forbids donor cord MSCs and allows others
    WHEN a Tokyo clinic's donor cord offering is shown
    THEN it is marked as conflicting, and only the other offering reads as compliant
    """
    LegalityRuleFactory(country="JP", legality=Legality.RESTRICTED)
    LegalityRuleFactory(
        country="JP",
        cell_type=CellType.MSC,
        origin=CellOrigin.ALLOGENEIC,
        cell_source=CellSource.UMBILICAL_CORD,
        legality=Legality.NOT_ALLOWED,
    )
    tokyo = cast(Clinic, ClinicFactory(country="JP", city="Tokyo", slug="tokyo-test"))
    give_badge(tokyo, kinds=(CredentialKind.DONOR_SCREENING,))
    OfferingFactory(
        clinic=tokyo,
        title="Donor cord MSC",
        origin=CellOrigin.ALLOGENEIC,
        cell_source=CellSource.UMBILICAL_CORD,
    )
    OfferingFactory(clinic=tokyo, title="Own fat MSC")
    response = client.get(url(tokyo.slug))
    passports = {p.offering.title: p for p in response.context["passports"]}
    assert passports["Donor cord MSC"].compliance.code == "conflict"
    assert passports["Own fat MSC"].compliance.code == "compliant"
    body = response.content.decode()
    assert body.count('data-compliance="compliant"') == 1
    assert body.count('data-compliance="conflict"') == 1
    assert "Conflicts with Japan" in body


def test_an_offering_without_a_rule_is_not_called_compliant(client: Client) -> None:
    clinic = cast(Clinic, ClinicFactory(country="PA", slug="panama-test"))
    OfferingFactory(clinic=clinic)
    body = client.get(url(clinic.slug)).content.decode()
    assert 'data-compliance="unknown"' in body
    assert 'data-compliance="compliant"' not in body


def test_the_profile_query_count_is_pinned(
    client: Client, django_assert_num_queries: Callable[..., Any]
) -> None:
    """Clinic, team, offerings, their conditions, credentials, reviews, and one for the
    sections other apps add (patient-reported outcomes): seven, whatever the size."""
    small = full_clinic(1)
    with django_assert_num_queries(7):
        assert client.get(url(small.slug)).status_code == 200
    big = full_clinic(2)
    for n in range(15):
        OfferingFactory(clinic=big, title=f"Extra {n}")
        DoctorFactory(clinic=big)
        ReviewFactory(clinic=big)
    with django_assert_num_queries(7):
        assert client.get(url(big.slug)).status_code == 200
