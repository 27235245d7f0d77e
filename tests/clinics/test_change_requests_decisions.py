"""Change requests to published records: the diff, approval, rejection and merging.

One form publishes cosmetic text at once while vetted facts queue for staff. The ``offering``
fixture (clinic A's live knee offering) is in this folder's conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from clinics.models import ChangeRequestStatus, Clinic, Condition, Offering
from clinics.services import (
    change_request_approve,
    change_request_diff,
    change_request_fingerprint,
    change_request_reject,
    change_request_submit,
    clinic_content_update,
)
from core.exceptions import DomainError
from core.models import AuditEvent, Notification
from core.notifications.services import outbox_drain
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


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
    # Approving over the newer value needs the diff that showed it
    # (see test_security_review_approval).
    shown = change_request_fingerprint(cr, Offering.objects.get(pk=offering.pk))
    change_request_approve(change_request=cr, acting_user=personas.concierge, reviewed=shown)
    event = AuditEvent.objects.get(action="clinics.change_request.approved")
    assert event.data["changed_since_proposed"] == ["sessions"]


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
