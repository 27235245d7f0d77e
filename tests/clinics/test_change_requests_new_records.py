"""Change requests for new records: a clinic's new offering or doctor waits for staff."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clinics.models import (
    CellOrigin,
    ChangeRequestKind,
    ChangeRequestStatus,
    Condition,
    CredentialKind,
    Doctor,
    Offering,
    OfferingStatus,
)
from clinics.services import (
    change_request_approve,
    change_request_submit,
    doctor_propose,
    offering_create,
    offering_withdraw,
)
from core.exceptions import DomainError
from tests.conftest import Personas

from .factories import CredentialFactory

pytestmark = pytest.mark.django_db


def test_a_clinics_new_offering_waits_for_staff_then_goes_live(
    personas: Personas, knee: Condition
) -> None:
    data = {
        "title": "Umbilical cord MSC infusion",
        "cell_type": "msc",
        "cell_source": "umbilical_cord",
        "origin": CellOrigin.ALLOGENEIC,
        "manipulation": "cultured",
        "cell_count_millions": "100",
        "route": "iv",
        "sessions": 1,
        "price_currency": "USD",
        "price_min": "12000",
        "price_max": "15000",
    }
    offering, cr = offering_create(
        clinic=personas.clinic_a,
        data=data,
        conditions=[knee],
        acting_user=personas.clinic_a_staff,
    )
    assert offering.status == OfferingStatus.PENDING
    assert cr is not None and cr.kind == ChangeRequestKind.CREATE
    assert not Offering.objects.public().exists()

    # No donor-screening credential yet: staff cannot publish it.
    with pytest.raises(ValidationError):
        change_request_approve(change_request=cr, acting_user=personas.concierge)
    cr.refresh_from_db()
    assert cr.status == ChangeRequestStatus.PENDING

    CredentialFactory.create(clinic=personas.clinic_a, kind=CredentialKind.DONOR_SCREENING)
    change_request_approve(change_request=cr, acting_user=personas.concierge)
    offering.refresh_from_db()
    assert offering.status == OfferingStatus.LIVE
    assert list(Offering.objects.public()) == [offering]


def test_approving_a_new_offering_the_clinic_withdrew_does_not_publish_it(
    personas: Personas, knee: Condition
) -> None:
    """
    GIVEN a clinic's new offering awaiting staff, which the clinic then withdraws
    WHEN staff approve its (still pending) creation request
    THEN it is refused and the offering stays off the public profile
    """
    offering, cr = offering_create(
        clinic=personas.clinic_a,
        conditions=[knee],
        acting_user=personas.clinic_a_staff,
        data={
            "title": "Fat MSC",
            "cell_type": "msc",
            "cell_source": "adipose",
            "origin": "autologous",
            "manipulation": "minimal",
            "volume_ml": "8",
            "route": "joint",
            "price_min": "3000",
            "price_max": "4000",
        },
    )
    assert cr is not None
    offering_withdraw(offering=offering, acting_user=personas.clinic_a_staff)

    with pytest.raises(DomainError) as exc:
        change_request_approve(change_request=cr, acting_user=personas.concierge)
    assert exc.value.code == "withdrawn"
    offering.refresh_from_db()
    assert offering.status == OfferingStatus.WITHDRAWN
    assert not Offering.objects.public().exists()


def test_editing_a_pending_new_offering_updates_it_in_place(
    personas: Personas, knee: Condition
) -> None:
    offering, cr = offering_create(
        clinic=personas.clinic_a,
        conditions=[knee],
        acting_user=personas.clinic_a_staff,
        data={
            "title": "Fat MSC",
            "cell_type": "msc",
            "cell_source": "adipose",
            "origin": "autologous",
            "manipulation": "minimal",
            "volume_ml": "8",
            "route": "joint",
            "price_min": "3000",
            "price_max": "4000",
        },
    )
    again = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"price_max": "4500"},
        acting_user=personas.clinic_a_staff,
    )
    offering.refresh_from_db()
    assert again == cr
    assert offering.price_max == Decimal("4500")
    assert again.changes["price_max"] == "4500"


def test_a_clinic_cannot_create_an_offering_with_a_status(
    personas: Personas, knee: Condition
) -> None:
    with pytest.raises(DomainError):
        offering_create(
            clinic=personas.clinic_a,
            conditions=[knee],
            acting_user=personas.clinic_a_staff,
            data={"title": "x", "status": "live"},
        )


def test_a_proposed_doctor_joins_the_team_after_approval(personas: Personas) -> None:
    doctor, cr = doctor_propose(
        clinic=personas.clinic_a,
        acting_user=personas.clinic_a_staff,
        data={
            "full_name": "Dra. Lucía Herrera",
            "speciality": "Sports medicine",
            "licence_number": "CED-884512",
            "licence_authority": "SEP",
        },
    )
    assert not doctor.is_active
    assert cr is not None
    change_request_approve(change_request=cr, acting_user=personas.concierge)
    doctor.refresh_from_db()
    assert doctor.is_active and doctor.verified_by == personas.concierge
    renamed = change_request_submit(
        clinic=personas.clinic_a,
        target=doctor,
        changes={"licence_number": "CED-000001"},
        acting_user=personas.clinic_a_staff,
    )
    assert renamed.kind == ChangeRequestKind.UPDATE
    assert Doctor.objects.get(pk=doctor.pk).licence_number == "CED-884512"
