"""Security review, change-request approval: stale diffs and what approval may apply.

Also who is told of a decision, and that the portal's diff never shows another clinic's
published values.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from clinics.models import ChangeRequest, ChangeRequestStatus, Condition, Offering, OfferingStatus
from clinics.services import (
    change_request_approve,
    change_request_fingerprint,
    change_request_reject,
    change_request_submit,
)
from core.exceptions import DomainError
from core.models import AuditEvent, Notification
from core.notifications.services import outbox_drain
from tests.conftest import Personas

from .factories import OfferingFactory
from .security_review_helpers import propose_price as _propose_price

pytestmark = pytest.mark.django_db


def _decide_url(cr: ChangeRequest) -> str:
    return reverse("admin:clinics_changerequest_decide", args=[cr.pk])


# --- Stale diffs -------------------------------------------------------------------------
def test_bulk_approve_refuses_a_request_whose_published_value_changed_since_proposed(
    personas: Personas, knee: Condition
) -> None:
    """GIVEN a clinic proposes price_max 9500 while 9000 is published
    WHEN staff later publish 12000 themselves and someone bulk-approves the old request
    THEN nothing is applied: the newer staff edit is not silently overwritten."""
    offering = OfferingFactory.create(
        clinic=personas.clinic_a, conditions=[knee], price_max=Decimal("9000")
    )
    cr = _propose_price(personas, offering, "9500")
    Offering.objects.filter(pk=offering.pk).update(price_max=Decimal("12000"))

    with pytest.raises(DomainError) as exc:
        change_request_approve(change_request=cr, acting_user=personas.concierge)

    assert exc.value.code == "stale"
    assert Offering.objects.get(pk=offering.pk).price_max == Decimal("12000")
    assert ChangeRequest.objects.get(pk=cr.pk).status == ChangeRequestStatus.PENDING


def test_the_change_page_shows_the_newer_value_and_approving_what_was_shown_applies_it(
    client: Client, personas: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(
        clinic=personas.clinic_a, conditions=[knee], price_max=Decimal("9000")
    )
    cr = _propose_price(personas, offering, "9500")
    Offering.objects.filter(pk=offering.pk).update(price_max=Decimal("12000"))
    client.force_login(personas.concierge)

    page = client.get(reverse("admin:clinics_changerequest_change", args=[cr.pk]))
    html = page.content.decode()
    assert "12000" in html and "changed since proposed" in html
    client.post(
        _decide_url(cr), {"decision": "approve", "reviewed": page.context["reviewed_fingerprint"]}
    )

    assert Offering.objects.get(pk=offering.pk).price_max == Decimal("9500")
    event = AuditEvent.objects.get(action="clinics.change_request.approved")
    assert event.data["changed_since_proposed"] == ["price_max"]


def test_approve_refuses_when_a_published_value_changed_after_the_page_was_opened(
    client: Client, personas: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(
        clinic=personas.clinic_a, conditions=[knee], price_max=Decimal("9000")
    )
    cr = _propose_price(personas, offering, "9500")
    client.force_login(personas.concierge)
    page = client.get(reverse("admin:clinics_changerequest_change", args=[cr.pk]))
    Offering.objects.filter(pk=offering.pk).update(price_max=Decimal("12000"))

    client.post(
        _decide_url(cr), {"decision": "approve", "reviewed": page.context["reviewed_fingerprint"]}
    )

    assert Offering.objects.get(pk=offering.pk).price_max == Decimal("12000")
    assert ChangeRequest.objects.get(pk=cr.pk).is_pending


def test_approve_without_the_reviewed_digest_from_the_change_page_applies_nothing(
    client: Client, personas: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    cr = _propose_price(personas, offering, "9500")
    client.force_login(personas.concierge)

    client.post(_decide_url(cr), {"decision": "approve"})

    assert ChangeRequest.objects.get(pk=cr.pk).is_pending


def test_a_new_offering_amended_after_staff_opened_it_is_not_published_unseen(
    client: Client, personas: Personas, knee: Condition
) -> None:
    """GIVEN staff open a clinic's new offering (CREATE request) at 20 million cells
    WHEN the clinic amends it to 900 million before staff click approve
    THEN approving what was shown publishes nothing."""
    offering = OfferingFactory.create(
        clinic=personas.clinic_a,
        conditions=[knee],
        status=OfferingStatus.PENDING,
        cell_count_millions=Decimal("20"),
    )
    from clinics.services.changes import create_request_for_new

    cr = create_request_for_new(
        clinic=personas.clinic_a, target=offering, acting_user=personas.clinic_a_staff
    )
    client.force_login(personas.concierge)
    page = client.get(reverse("admin:clinics_changerequest_change", args=[cr.pk]))
    amended = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"cell_count_millions": "900"},
        acting_user=personas.clinic_a_staff,
    )
    assert amended.pk == cr.pk  # amended in place, still pending

    client.post(
        _decide_url(cr), {"decision": "approve", "reviewed": page.context["reviewed_fingerprint"]}
    )

    assert Offering.objects.get(pk=offering.pk).status == OfferingStatus.PENDING
    fresh = client.get(reverse("admin:clinics_changerequest_change", args=[cr.pk]))
    assert "900" in fresh.content.decode()


def test_the_fingerprint_changes_with_the_proposal_and_the_published_value(
    personas: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    cr = _propose_price(personas, offering, "9500")
    before = change_request_fingerprint(cr, offering)
    Offering.objects.filter(pk=offering.pk).update(price_max=Decimal("9100"))
    assert change_request_fingerprint(cr, Offering.objects.get(pk=offering.pk)) != before


def test_bulk_approve_refuses_a_new_offering_changed_behind_its_request(
    personas: Personas, knee: Condition
) -> None:
    from clinics.services.changes import create_request_for_new

    offering = OfferingFactory.create(
        clinic=personas.clinic_a,
        conditions=[knee],
        status=OfferingStatus.PENDING,
        cell_count_millions=Decimal("20"),
    )
    cr = create_request_for_new(
        clinic=personas.clinic_a, target=offering, acting_user=personas.clinic_a_staff
    )
    Offering.objects.filter(pk=offering.pk).update(cell_count_millions=Decimal("900"))

    with pytest.raises(DomainError) as exc:
        change_request_approve(change_request=cr, acting_user=personas.concierge)

    assert exc.value.code == "stale"
    assert Offering.objects.get(pk=offering.pk).status == OfferingStatus.PENDING


# --- What approval may apply -----------------------------------------------------------
def test_approve_refuses_a_request_carrying_a_field_outside_the_vetted_allow_list(
    personas: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    cr = ChangeRequest.objects.create(
        clinic=personas.clinic_a,
        target=offering,
        changes={"price_max": "9500", "clinic": personas.clinic_b.pk, "status": "live"},
        original={"price_max": "9000", "clinic": personas.clinic_a.pk, "status": "live"},
    )

    with pytest.raises(DomainError) as exc:
        change_request_approve(change_request=cr, acting_user=personas.concierge)

    assert exc.value.code == "forbidden_field"
    assert Offering.objects.get(pk=offering.pk).clinic_id == personas.clinic_a.pk


def test_approve_refuses_a_request_whose_target_belongs_to_another_clinic(
    personas: Personas, knee: Condition
) -> None:
    b_offering = OfferingFactory.create(
        clinic=personas.clinic_b, conditions=[knee], price_max=Decimal("9000")
    )
    cr = ChangeRequest.objects.create(
        clinic=personas.clinic_a,
        target=b_offering,
        changes={"price_max": "1"},
        original={"price_max": "9000"},
    )

    with pytest.raises(DomainError) as exc:
        change_request_approve(change_request=cr, acting_user=personas.concierge)

    assert exc.value.code == "wrong_clinic"
    assert Offering.objects.get(pk=b_offering.pk).price_max == Decimal("9000")


def test_approving_twice_applies_once(personas: Personas, knee: Condition) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    cr = _propose_price(personas, offering, "9500")
    change_request_approve(change_request=cr, acting_user=personas.concierge)

    with pytest.raises(DomainError) as exc:
        change_request_approve(change_request=cr, acting_user=personas.concierge)

    assert exc.value.code == "already_decided"
    assert AuditEvent.objects.filter(action="clinics.change_request.approved").count() == 1


# --- Who is told, and what the portal shows -------------------------------------------------
def test_no_decision_email_goes_to_a_submitter_who_has_left_the_clinic(
    personas: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    cr = _propose_price(personas, offering, "9500")
    change_request_reject(change_request=cr, acting_user=personas.concierge, note="No proof")
    told = Notification.objects.get(kind="clinics.change_decided")

    personas.clinic_a.memberships.filter(user=personas.clinic_a_staff).delete()

    assert outbox_drain().cancelled == 1
    told.refresh_from_db()
    assert (told.status, told.last_error) == ("cancelled", "no longer wanted")
    assert not mail.outbox


def test_the_portal_diff_never_shows_another_clinics_published_values(
    client: Client, personas: Personas, knee: Condition
) -> None:
    """A request of clinic A that (through bad data) points at clinic B's offering shows
    A only what the request itself holds, never B's live price."""
    b_offering = OfferingFactory.create(
        clinic=personas.clinic_b, conditions=[knee], price_max=Decimal("77777")
    )
    cr = ChangeRequest.objects.create(
        clinic=personas.clinic_a,
        target=b_offering,
        changes={"price_max": "1"},
        original={"price_max": "2"},
    )
    client.force_login(personas.clinic_a_staff)

    page = client.get(
        reverse("portal:change", kwargs={"slug": personas.clinic_a.slug, "pk": cr.pk})
    )

    assert page.status_code == 200
    assert "77777" not in page.content.decode()
