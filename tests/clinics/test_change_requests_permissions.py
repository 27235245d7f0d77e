"""Change requests: what a clinic user may not propose or decide.

System fields, the clinic's own status, ratings and verification, another clinic's records,
approval itself, and invalid values are all refused before anything queues.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinics.models import ChangeRequest, ClinicStatus, Offering, OfferingStatus
from clinics.services import (
    change_request_approve,
    change_request_submit,
    clinic_content_update,
    clinic_cosmetic_update,
)
from core.exceptions import DomainError
from tests.conftest import Personas

from .factories import DoctorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["status", "clinic", "price_min_usd", "id"])
def test_it_refuses_system_fields_from_a_clinic_user(
    personas: Personas, offering: Offering, field: str
) -> None:
    value: Any = {
        "status": OfferingStatus.LIVE,
        "clinic": personas.clinic_b.pk,
        "price_min_usd": "1",
        "id": 999,
    }[field]
    with pytest.raises(DomainError) as exc:
        change_request_submit(
            clinic=personas.clinic_a,
            target=offering,
            changes={field: value},
            acting_user=personas.clinic_a_staff,
        )
    assert exc.value.code == "forbidden_field"
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("field", ["status", "review_requested_at", "slug"])
def test_a_clinic_user_cannot_set_their_own_status_or_queue(personas: Personas, field: str) -> None:
    value = {"status": ClinicStatus.VETTED, "review_requested_at": None, "slug": "x"}[field]
    with pytest.raises(DomainError):
        clinic_content_update(
            target=personas.clinic_a,
            changes={"description": "New", field: value},
            acting_user=personas.clinic_a_staff,
        )
    personas.clinic_a.refresh_from_db()
    assert personas.clinic_a.description == ""  # refused as a whole, not partly applied


def test_ratings_and_verification_are_not_fields_a_clinic_can_reach(
    personas: Personas,
) -> None:
    doctor = DoctorFactory.create(clinic=personas.clinic_a)
    for changes in (
        {"verified_by": personas.clinic_a_staff.pk},
        {"is_active": True},
        {"rating": 5},
    ):
        with pytest.raises(DomainError):
            clinic_content_update(
                target=doctor, changes=changes, acting_user=personas.clinic_a_staff
            )


def test_another_clinics_staff_cannot_touch_the_offering(
    personas: Personas, offering: Offering
) -> None:
    with pytest.raises(PermissionDenied):
        change_request_submit(
            clinic=personas.clinic_a,
            target=offering,
            changes={"sessions": 2},
            acting_user=personas.clinic_b_staff,
        )
    with pytest.raises(DomainError) as exc:
        change_request_submit(
            clinic=personas.clinic_b,
            target=offering,
            changes={"sessions": 2},
            acting_user=personas.clinic_b_staff,
        )
    assert exc.value.code == "wrong_clinic"
    with pytest.raises(PermissionDenied):
        clinic_cosmetic_update(
            target=offering, changes={"title": "Ours now"}, acting_user=personas.clinic_b_staff
        )
    assert not ChangeRequest.objects.exists()


def test_a_clinic_user_cannot_approve(personas: Personas, offering: Offering) -> None:
    cr = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"sessions": 2},
        acting_user=personas.clinic_a_staff,
    )
    with pytest.raises(PermissionDenied):
        change_request_approve(change_request=cr, acting_user=personas.clinic_a_staff)


def test_an_invalid_proposal_is_refused_before_it_queues(
    personas: Personas, offering: Offering
) -> None:
    with pytest.raises(ValidationError) as exc:
        change_request_submit(
            clinic=personas.clinic_a,
            target=offering,
            changes={"cell_count_millions": None, "volume_ml": "3"},
            acting_user=personas.clinic_a_staff,
        )
    assert "cell_count_millions" in exc.value.message_dict
    assert not ChangeRequest.objects.exists()
