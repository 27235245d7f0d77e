"""Security review, staff powers: staff who belong to a clinic, and the clinic admin.

The admin part covers audited staff edits and portal-access grants, and the vetting checklist.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from clinics.models import ChangeRequest, Condition, OfferingStatus, ReviewStatus
from clinics.services import (
    change_request_approve,
    change_request_reject,
    credential_verify,
    doctor_propose,
    offering_create,
)
from core.exceptions import DomainError
from core.models import AuditEvent
from tests.conftest import Personas
from tests.factories import ClinicMembershipFactory

from .factories import CredentialFactory, OfferingFactory, ReviewFactory
from .security_review_helpers import propose_price as _propose_price

pytestmark = pytest.mark.django_db


# --- Staff who also belong to a clinic -------------------------------------------------------
@pytest.fixture
def insider(personas: Personas) -> Personas:
    """The concierge is also a member of clinic A (e.g. seconded there)."""
    ClinicMembershipFactory.create(user=personas.concierge, clinic=personas.clinic_a)
    return personas


def test_staff_who_belong_to_the_clinic_cannot_approve_or_reject_its_requests(
    insider: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(clinic=insider.clinic_a, conditions=[knee])
    cr = _propose_price(insider, offering, "9500")

    with pytest.raises(DomainError) as approve:
        change_request_approve(change_request=cr, acting_user=insider.concierge)
    with pytest.raises(DomainError) as reject:
        change_request_reject(change_request=cr, acting_user=insider.concierge, note="no")

    assert approve.value.code == reject.value.code == "own_clinic"
    assert ChangeRequest.objects.get(pk=cr.pk).is_pending


def test_staff_who_belong_to_the_clinic_cannot_verify_its_credentials(
    insider: Personas,
) -> None:
    credential = CredentialFactory.create(clinic=insider.clinic_a, status="pending")

    with pytest.raises(DomainError) as exc:
        credential_verify(credential=credential, acting_user=insider.concierge)

    assert exc.value.code == "own_clinic"


def test_staff_who_belong_to_the_clinic_propose_like_clinic_users(
    insider: Personas, knee: Condition
) -> None:
    offering, cr = offering_create(
        clinic=insider.clinic_a,
        acting_user=insider.concierge,
        conditions=[knee],
        data={
            "title": "Insider MSC",
            "cell_type": "msc",
            "cell_source": "adipose",
            "origin": "autologous",
            "manipulation": "cultured",
            "cell_count_millions": Decimal("50"),
            "route": "iv",
            "sessions": 1,
            "price_currency": "USD",
            "price_min": Decimal("1000"),
            "price_max": Decimal("2000"),
        },
    )
    doctor, doctor_cr = doctor_propose(
        clinic=insider.clinic_a,
        acting_user=insider.concierge,
        data={"full_name": "Dr. Insider", "speciality": "Ortho", "licence_number": "X1"},
    )

    assert offering.status == OfferingStatus.PENDING and cr is not None
    assert not doctor.is_active and doctor_cr is not None


def test_staff_who_belong_to_the_clinic_cannot_remove_its_reviews_or_edit_it_in_the_admin(
    client: Client, insider: Personas, knee: Condition
) -> None:
    from clinics.services import review_moderate

    review = ReviewFactory.create(clinic=insider.clinic_a, status=ReviewStatus.PUBLISHED, rating=1)
    with pytest.raises(DomainError) as exc:
        review_moderate(review=review, reason="abuse", note="", acting_user=insider.concierge)
    assert exc.value.code == "own_clinic"

    offering = OfferingFactory.create(clinic=insider.clinic_a, conditions=[knee])
    client.force_login(insider.concierge)
    for url in (
        reverse("admin:clinics_clinic_change", args=[insider.clinic_a.pk]),
        reverse("admin:clinics_offering_change", args=[offering.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert not page.context["has_change_permission"]
    other = client.get(reverse("admin:clinics_clinic_change", args=[insider.clinic_b.pk]))
    assert other.context["has_change_permission"]


# --- Audit of staff edits in the clinic admin ---------------------------------------------
def _change_form_post(page: object) -> dict[str, object]:
    """What the browser posts back from an admin change page, unchanged."""
    context = page.context  # type: ignore[attr-defined]
    data: dict[str, object] = {}
    forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        mgmt = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{mgmt.prefix}-{name}"] = mgmt.initial.get(name, mgmt[name].value())
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(v) for v in value]
            else:
                data[form.add_prefix(name)] = value
    return data


def test_staff_edits_and_portal_access_grants_in_the_clinic_admin_are_audited(
    client: Client, personas: Personas
) -> None:
    """GIVEN a concierge on clinic B's admin page
    WHEN they rename it and give alice portal access (a membership: access to shared cases)
    THEN both are in the audit log, with field names and the user id, never values."""
    client.force_login(personas.concierge)
    url = reverse("admin:clinics_clinic_change", args=[personas.clinic_b.pk])
    data = _change_form_post(client.get(url))
    data["name"] = "Beta Cell Center Bangkok"
    data["memberships-TOTAL_FORMS"] = int(str(data["memberships-TOTAL_FORMS"])) + 1
    n = int(str(data["memberships-TOTAL_FORMS"])) - 1
    data[f"memberships-{n}-user"] = personas.alice.pk
    data[f"memberships-{n}-clinic"] = personas.clinic_b.pk

    response = client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    edited = AuditEvent.objects.get(action="clinics.clinic.staff_edited")
    assert "name" in edited.data["fields"]
    assert "Beta Cell Center Bangkok" not in str(edited.data)
    granted = AuditEvent.objects.get(action="clinics.clinicmembership.staff_added")
    assert granted.data["user"] == personas.alice.pk
    assert granted.data["clinic"] == personas.clinic_b.pk


def test_the_clinic_page_shows_only_the_open_vetting_checklist(
    client: Client, personas: Personas
) -> None:
    from clinics.services import vetting_review_decide, vetting_review_open

    first = vetting_review_open(clinic=personas.clinic_a, acting_user=personas.concierge)
    vetting_review_decide(review=first, decision="rejected", acting_user=personas.concierge)
    open_review = vetting_review_open(clinic=personas.clinic_a, acting_user=personas.concierge)
    client.force_login(personas.concierge)

    page = client.get(reverse("admin:clinics_clinic_change", args=[personas.clinic_a.pk]))

    [inline] = [
        i
        for i in page.context["inline_admin_formsets"]
        if i.formset.model.__name__ == "VettingReview"
    ]
    assert [f.instance.pk for f in inline.formset.forms] == [open_review.pk]
