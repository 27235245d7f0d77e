"""Regression tests from the security review of the clinics app (change requests, portal)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from clinics.models import (
    ChangeRequest,
    ChangeRequestStatus,
    ClinicStatus,
    Condition,
    Offering,
    OfferingStatus,
    ReviewStatus,
)
from clinics.services import (
    change_request_approve,
    change_request_fingerprint,
    change_request_reject,
    change_request_submit,
    clinic_content_update,
    credential_verify,
    doctor_propose,
    offering_create,
    review_reply,
    review_submit,
)
from core.exceptions import DomainError
from core.models import AuditEvent, Notification
from core.notifications.services import outbox_drain
from tests.conftest import Personas
from tests.factories import ClinicMembershipFactory

from .factories import CredentialFactory, OfferingFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def _propose_price(personas: Personas, offering: Offering, price_max: str) -> ChangeRequest:
    return change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"price_max": price_max},
        acting_user=personas.clinic_a_staff,
    )


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


# --- Suspended and rejected clinics ------------------------------------------------------
@pytest.mark.parametrize("status", [ClinicStatus.SUSPENDED, ClinicStatus.REJECTED])
def test_a_suspended_or_rejected_clinics_staff_cannot_edit_propose_or_reply(
    personas: Personas, knee: Condition, status: str
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    review = ReviewFactory.create(clinic=personas.clinic_a, status=ReviewStatus.PUBLISHED)
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(status=status)
    personas.clinic_a.refresh_from_db()
    user = personas.clinic_a_staff

    for call in (
        lambda: clinic_content_update(
            target=personas.clinic_a, changes={"description": "Now open"}, acting_user=user
        ),
        lambda: _propose_price(personas, offering, "9500"),
        lambda: review_reply(review=review, body="Thanks", acting_user=user),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code == "clinic_inactive"
    personas.clinic_a.refresh_from_db()
    assert personas.clinic_a.description != "Now open"


def test_a_suspended_clinics_portal_form_shows_the_refusal(
    client: Client, personas: Personas
) -> None:
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(
        status=ClinicStatus.SUSPENDED
    )
    client.force_login(personas.clinic_a_staff)
    response = client.post(
        reverse("portal:doctor_new", kwargs={"slug": personas.clinic_a.slug}),
        {
            "full_name": "Dr. Late",
            "speciality": "Ortho",
            "licence_number": "L1",
            "display_order": 0,
        },
    )
    assert response.status_code == 200
    assert "suspended or rejected" in response.content.decode()
    assert not personas.clinic_a.doctors.exists()


# --- Reviews ---------------------------------------------------------------------------------
def test_a_clinic_member_cannot_review_their_own_clinic(personas: Personas) -> None:
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(
        status=ClinicStatus.VETTED
    )
    personas.clinic_a.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        review_submit(
            clinic=personas.clinic_a,
            author=personas.clinic_a_staff,
            rating=5,
            body="Best clinic ever",
            author_display_name="Ana",
            acting_user=personas.clinic_a_staff,
            treatment_ref="consultations.treatment:1",
        )
    assert exc.value.code == "not_a_patient"


# --- Unbounded input ---------------------------------------------------------------------
@pytest.mark.parametrize("field", ["summary", "included"])
def test_offering_free_text_is_bounded(personas: Personas, knee: Condition, field: str) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    with pytest.raises(ValidationError):
        clinic_content_update(
            target=offering, changes={field: "x" * 200_000}, acting_user=personas.clinic_a_staff
        )


def test_clinic_and_doctor_free_text_is_bounded(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        clinic_content_update(
            target=personas.clinic_a,
            changes={"description": "x" * 200_000},
            acting_user=personas.clinic_a_staff,
        )
    with pytest.raises(ValidationError):
        doctor_propose(
            clinic=personas.clinic_a,
            acting_user=personas.clinic_a_staff,
            data={
                "full_name": "Dr. Long",
                "speciality": "Ortho",
                "licence_number": "L2",
                "bio": "x" * 200_000,
            },
        )


def test_a_price_beyond_the_usd_cap_is_refused(personas: Personas, knee: Condition) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    with pytest.raises(ValidationError) as exc:
        _propose_price(personas, offering, "9999999999")
    assert "price_max" in exc.value.message_dict


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


def test_a_review_body_beyond_5000_characters_is_refused(personas: Personas) -> None:
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(
        status=ClinicStatus.VETTED
    )
    personas.clinic_a.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        review_submit(
            clinic=personas.clinic_a,
            author=personas.alice,
            rating=4,
            body="y" * 5001,
            author_display_name="Alice",
            acting_user=personas.alice,
        )
    assert "body" in exc.value.message_dict


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
