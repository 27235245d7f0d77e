"""Vetted facts change only through a change request that staff approve."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from clinics.models import (
    CellOrigin,
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    Clinic,
    ClinicStatus,
    Condition,
    CredentialKind,
    Doctor,
    Offering,
    OfferingStatus,
)
from clinics.services import (
    change_request_approve,
    change_request_diff,
    change_request_fingerprint,
    change_request_reject,
    change_request_submit,
    clinic_content_update,
    clinic_cosmetic_update,
    doctor_propose,
    offering_create,
    offering_withdraw,
)
from core.exceptions import DomainError
from core.models import AuditEvent, Notification
from core.notifications.services import outbox_drain
from tests.conftest import Personas

from .factories import CredentialFactory, DoctorFactory, OfferingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering(personas: Personas, knee: Condition) -> Offering:
    return OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])


def test_a_price_change_waits_for_staff_and_approval_applies_the_diff(
    personas: Personas,
    offering: Offering,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """
    GIVEN a live offering at 6,000-9,000 USD
    WHEN the clinic proposes 5,500-8,500 USD and staff approve
    THEN nothing changes until approval, then the prices, USD equivalents, history
         and audit trail all show the change, and the clinic is told once
    """
    cr = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"price_min": Decimal("5500"), "price_max": Decimal("8500")},
        acting_user=personas.clinic_a_staff,
    )
    offering.refresh_from_db()
    assert offering.price_min == Decimal("6000")
    assert cr.status == ChangeRequestStatus.PENDING
    assert cr.changes == {"price_min": "5500", "price_max": "8500"}
    assert cr.original == {"price_min": "6000", "price_max": "9000"}
    rows = {row.field: row for row in change_request_diff(cr)}
    assert (rows["price_min"].current, rows["price_min"].proposed) == ("6000", "5500")

    with django_capture_on_commit_callbacks() as callbacks:
        change_request_approve(
            change_request=cr, acting_user=personas.concierge, note="Checked the price list"
        )
    offering.refresh_from_db()
    assert (offering.price_min, offering.price_max) == (Decimal("5500"), Decimal("8500"))
    assert (offering.price_min_usd, offering.price_max_usd) == (Decimal("5500"), Decimal("8500"))
    assert offering.history.count() >= 2
    event = AuditEvent.objects.get(action="clinics.change_request.approved")
    assert event.actor == personas.concierge
    assert event.data["fields"] == ["price_max", "price_min"]
    # Queued, not sent: the outbox dispatcher is nudged after commit (among other callbacks).
    assert callbacks and mail.outbox == []
    told = Notification.objects.get(kind="clinics.change_decided")
    assert (told.about, told.recipient_user) == (cr, personas.clinic_a_staff)

    assert outbox_drain().sent == 1
    assert len(mail.outbox) == 1
    assert "approved" in mail.outbox[0].subject
    assert mail.outbox[0].to == [personas.clinic_a_staff.email]
    assert "You get this because you asked for this change in the clinic portal." in (
        mail.outbox[0].body
    )
    assert outbox_drain().sent == 0  # nothing is due twice
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("exchange_rates")
def test_a_currency_change_recomputes_the_usd_equivalent(
    personas: Personas, offering: Offering
) -> None:
    cr = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"price_currency": "MXN", "price_min": "110000", "price_max": "160000"},
        acting_user=personas.clinic_a_staff,
    )
    change_request_approve(change_request=cr, acting_user=personas.concierge)
    offering.refresh_from_db()
    assert offering.price_min_usd == Decimal("6050.00")
    assert offering.price_max_usd == Decimal("8800.00")


def test_rejection_changes_nothing_and_needs_a_note(personas: Personas, offering: Offering) -> None:
    cr = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"cell_count_millions": "200"},
        acting_user=personas.clinic_a_staff,
    )
    with pytest.raises(DomainError):
        change_request_reject(change_request=cr, acting_user=personas.concierge, note=" ")
    change_request_reject(
        change_request=cr, acting_user=personas.concierge, note="No lab report for 200 million"
    )
    offering.refresh_from_db()
    cr.refresh_from_db()
    assert offering.cell_count_millions == Decimal("50")
    assert cr.status == ChangeRequestStatus.REJECTED
    assert AuditEvent.objects.filter(action="clinics.change_request.rejected").count() == 1
    with pytest.raises(DomainError, match="already decided"):
        change_request_approve(change_request=cr, acting_user=personas.concierge)


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


def test_cosmetic_text_goes_live_and_vetted_facts_queue_from_one_form(
    personas: Personas, offering: Offering, knee: Condition, back: Condition
) -> None:
    result = clinic_content_update(
        target=offering,
        changes={
            "title": "Knee MSC, one visit",
            "included": "Hotel, transfers",
            "sessions": 2,
            "conditions": [knee, back],
            "cell_type": offering.cell_type,
        },
        acting_user=personas.clinic_a_staff,
    )
    offering.refresh_from_db()
    assert result.applied == ["included", "title"]
    assert offering.title == "Knee MSC, one visit"
    assert offering.sessions == 1
    assert result.change_request is not None
    assert result.change_request.changes == {
        "sessions": 2,
        "conditions": sorted([knee.pk, back.pk]),
    }
    change_request_approve(change_request=result.change_request, acting_user=personas.concierge)
    assert set(offering.conditions.all()) == {knee, back}
    assert AuditEvent.objects.filter(action="clinics.content.updated").count() == 1


def test_an_unchanged_form_queues_nothing(personas: Personas, offering: Offering) -> None:
    result = clinic_content_update(
        target=offering,
        changes={"sessions": 1, "price_min": Decimal("6000.00")},
        acting_user=personas.clinic_a_staff,
    )
    assert result.change_request is None
    assert result.applied == []


def test_a_second_proposal_merges_with_the_pending_one(
    personas: Personas, offering: Offering
) -> None:
    first = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"sessions": 2},
        acting_user=personas.clinic_a_staff,
    )
    second = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"price_max": "9500"},
        acting_user=personas.clinic_a_staff,
    )
    first.refresh_from_db()
    assert first.status == ChangeRequestStatus.SUPERSEDED
    assert first.superseded_by == second
    assert second.changes == {"sessions": 2, "price_max": "9500"}


def test_approval_records_fields_that_changed_since_the_proposal(
    personas: Personas, offering: Offering
) -> None:
    cr = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"sessions": 3},
        acting_user=personas.clinic_a_staff,
    )
    Offering.objects.filter(pk=offering.pk).update(sessions=2)  # a staff edit meanwhile
    [row] = change_request_diff(cr)
    assert row.changed_since_proposed
    # Approving over the newer value needs the diff that showed it (see test_security_review).
    shown = change_request_fingerprint(cr, Offering.objects.get(pk=offering.pk))
    change_request_approve(change_request=cr, acting_user=personas.concierge, reviewed=shown)
    event = AuditEvent.objects.get(action="clinics.change_request.approved")
    assert event.data["changed_since_proposed"] == ["sessions"]


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


def test_clinic_vetted_facts_queue_and_contact_details_go_live(personas: Personas) -> None:
    result = clinic_content_update(
        target=personas.clinic_a,
        changes={
            "city": "Zapopan",
            "contact_email": "care@alfa.example",
            "languages": ["es", "en", "fr"],
        },
        acting_user=personas.clinic_a_staff,
    )
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert clinic.contact_email == "care@alfa.example"
    assert clinic.languages == ["es", "en", "fr"]
    assert clinic.city == "Guadalajara"
    assert result.change_request is not None
    assert result.change_request.changes == {"city": "Zapopan"}
