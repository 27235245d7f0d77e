"""The concierge's admin: the queue, the diff, and actions that call services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinics.models import (
    ChangeRequest,
    ChangeRequestStatus,
    ClinicStatus,
    Condition,
    CredentialKind,
    CredentialStatus,
    Offering,
    ReviewStatus,
    VettingReview,
)
from clinics.services import change_request_submit
from core.models import AuditEvent
from tests.conftest import Personas
from tests.factories import ClinicFactory

from .factories import (
    CredentialFactory,
    OfferingFactory,
    ReviewFactory,
    give_badge,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client, personas: Personas) -> Client:
    client.force_login(personas.concierge)
    return client


def _pending(personas: Personas, offering: Offering, **changes: Any) -> ChangeRequest:
    return change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes=changes,
        acting_user=personas.clinic_a_staff,
    )


def test_the_change_page_shows_the_diff_and_approve_applies_it(
    staff_client: Client, personas: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    cr = _pending(personas, offering, price_max="9900", cell_count_millions="75")
    url = reverse("admin:clinics_changerequest_change", args=[cr.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Published now" in html and "9900" in html and "75" in html
    assert reverse("admin:clinics_changerequest_decide", args=[cr.pk]) in html
    reviewed = page.context["reviewed_fingerprint"]
    assert f'name="reviewed" value="{reviewed}"' in html

    response = staff_client.post(
        reverse("admin:clinics_changerequest_decide", args=[cr.pk]),
        {"decision": "approve", "decision_note": "Matches the lab report", "reviewed": reviewed},
    )
    assert response.status_code == 302
    offering.refresh_from_db()
    cr.refresh_from_db()
    assert offering.price_max == Decimal("9900") and offering.cell_count_millions == 75
    assert cr.status == ChangeRequestStatus.APPROVED
    assert cr.decision_note == "Matches the lab report"
    assert AuditEvent.objects.filter(
        action="clinics.change_request.approved", actor=personas.concierge
    ).exists()


def test_reject_from_the_queue_asks_for_a_note_then_calls_the_service(
    staff_client: Client, personas: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    cr = _pending(personas, offering, sessions=4)
    changelist = reverse("admin:clinics_changerequest_changelist")
    form = staff_client.post(changelist, {"action": "reject_selected", "_selected_action": [cr.pk]})
    assert form.status_code == 200
    assert "Note (the clinic sees it)" in form.content.decode()
    cr.refresh_from_db()
    assert cr.is_pending
    done = staff_client.post(
        changelist,
        {
            "action": "reject_selected",
            "_selected_action": [cr.pk],
            "apply": "1",
            "note": "Four sessions is not on file",
        },
    )
    assert done.status_code == 302
    cr.refresh_from_db()
    assert cr.status == ChangeRequestStatus.REJECTED
    assert Offering.objects.get(pk=offering.pk).sessions == 1


def test_approve_action_reports_a_refusal_without_applying(
    staff_client: Client, personas: Personas, knee: Condition
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    screening = CredentialFactory.create(
        clinic=personas.clinic_a, kind=CredentialKind.DONOR_SCREENING
    )
    cr = _pending(personas, offering, origin="allogeneic")
    screening.status = CredentialStatus.REJECTED  # revoked before staff got to the request
    screening.save()
    response = staff_client.post(
        reverse("admin:clinics_changerequest_changelist"),
        {"action": "approve_selected", "_selected_action": [cr.pk]},
        follow=True,
    )
    assert "donor-screening" in response.content.decode()
    cr.refresh_from_db()
    assert cr.is_pending


@pytest.mark.parametrize("rows", [3, 30])
def test_the_queue_page_does_not_grow_queries_with_rows(
    staff_client: Client,
    personas: Personas,
    knee: Condition,
    rows: int,
    django_assert_max_num_queries: Callable[..., Any],
    figure: Callable[..., None],
) -> None:
    for _ in range(rows):
        offering = OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
        _pending(personas, offering, sessions=2)
    url = reverse("admin:clinics_changerequest_changelist")
    staff_client.get(url)  # warm the content-type cache
    with django_assert_max_num_queries(12) as captured:
        response = staff_client.get(url)
    assert response.status_code == 200
    figure("admin_change_request_queue", rows=rows, queries=len(captured.captured_queries))


@pytest.mark.parametrize("rows", [3, 30])
def test_the_clinic_list_is_annotated_not_queried_per_row(
    staff_client: Client,
    rows: int,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    for _ in range(rows):
        give_badge(ClinicFactory.create())
    with django_assert_max_num_queries(10):
        assert staff_client.get(reverse("admin:clinics_clinic_changelist")).status_code == 200


def test_credential_expiry_filters(staff_client: Client, personas: Personas) -> None:
    """ "Expired" and "expiring" list what needs action: a credential a renewal replaced is out."""
    today = timezone.localdate()
    expired = CredentialFactory.create(
        clinic=personas.clinic_a, number="EXP-1", expires_on=today - dt.timedelta(days=2)
    )
    soon = CredentialFactory.create(
        clinic=personas.clinic_b, number="SOON-1", expires_on=today + dt.timedelta(days=20)
    )
    CredentialFactory.create(
        clinic=personas.clinic_a,
        number="LATER-1",
        kind=CredentialKind.INSURANCE,
        expires_on=today + dt.timedelta(days=200),
    )
    # An old lab certificate, renewed by a newer one of the same kind: nothing to do.
    CredentialFactory.create(
        clinic=personas.clinic_b,
        number="RENEWED-OLD",
        kind=CredentialKind.LAB_CERTIFICATE,
        expires_on=today - dt.timedelta(days=5),
    )
    CredentialFactory.create(
        clinic=personas.clinic_b,
        number="RENEWED-NEW",
        kind=CredentialKind.LAB_CERTIFICATE,
        expires_on=today + dt.timedelta(days=700),
    )
    url = reverse("admin:clinics_credential_changelist")
    listed = staff_client.get(url, {"expiry": "expired"}).content.decode()
    assert expired.number in listed and "SOON-1" not in listed and "LATER-1" not in listed
    assert "RENEWED-OLD" not in listed
    listed = staff_client.get(url, {"expiry": "soon"}).content.decode()
    assert soon.number in listed and "EXP-1" not in listed


def test_verify_action_calls_the_service(staff_client: Client, personas: Personas) -> None:
    credential = CredentialFactory.create(
        clinic=personas.clinic_a,
        status=CredentialStatus.PENDING,
        verified_at=None,
        kind=CredentialKind.INSURANCE,
    )
    staff_client.post(
        reverse("admin:clinics_credential_changelist"),
        {"action": "verify", "_selected_action": [credential.pk]},
    )
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.VERIFIED
    assert credential.verified_by == personas.concierge


def test_the_document_downloads_for_staff_as_an_attachment_and_is_audited(
    staff_client: Client, personas: Personas
) -> None:
    credential = CredentialFactory.create(clinic=personas.clinic_a)
    url = reverse("admin:clinics_credential_document", args=[credential.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(action="clinics.credential.downloaded").count() == 1


def test_clinic_staff_cannot_reach_the_admin_or_a_document(
    client: Client, personas: Personas
) -> None:
    credential = CredentialFactory.create(clinic=personas.clinic_a)
    client.force_login(personas.clinic_a_staff)
    for url in (
        reverse("admin:clinics_credential_document", args=[credential.pk]),
        reverse("admin:clinics_changerequest_changelist"),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        assert b"%PDF" not in b"".join(getattr(response, "streaming_content", [response.content]))


def test_vetting_from_the_admin_needs_a_ticked_checklist(
    staff_client: Client, personas: Personas
) -> None:
    """
    GIVEN an applied clinic
    WHEN staff open a vetting review, try to publish, tick the checklist, publish
    THEN it is refused until every item is ticked, then the clinic is vetted and public
    """
    clinic = ClinicFactory.create(status=ClinicStatus.APPLIED, name="Nueva Clínica")
    changelist = reverse("admin:clinics_clinic_changelist")
    staff_client.post(changelist, {"action": "open_review", "_selected_action": [clinic.pk]})
    clinic.refresh_from_db()
    assert clinic.status == ClinicStatus.UNDER_REVIEW
    response = staff_client.post(
        changelist, {"action": "decide_vetted", "_selected_action": [clinic.pk]}, follow=True
    )
    assert "Every checklist item" in response.content.decode()
    VettingReview.objects.filter(clinic=clinic).update(
        **dict.fromkeys(VettingReview.CHECKLIST, True)
    )
    staff_client.post(changelist, {"action": "decide_vetted", "_selected_action": [clinic.pk]})
    clinic.refresh_from_db()
    assert clinic.status == ClinicStatus.VETTED


def test_review_actions_publish_and_remove_with_a_reason(
    staff_client: Client, personas: Personas
) -> None:
    waiting = ReviewFactory.create(
        clinic=personas.clinic_a,
        status=ReviewStatus.AWAITING_VERIFICATION,
        treatment_verified_at=None,
        rating=1,
    )
    url = reverse("admin:clinics_review_changelist")
    staff_client.post(url, {"action": "verify_and_publish", "_selected_action": [waiting.pk]})
    waiting.refresh_from_db()
    assert waiting.status == ReviewStatus.PUBLISHED  # a one-star review is published too
    staff_client.post(url, {"action": "remove_phi", "_selected_action": [waiting.pk]})
    waiting.refresh_from_db()
    assert (waiting.status, waiting.moderation_reason) == (ReviewStatus.REMOVED, "phi")


@pytest.mark.parametrize(
    "name",
    [
        "clinic",
        "offering",
        "credential",
        "changerequest",
        "review",
        "legalityrule",
        "vettingreview",
        "condition",
        "credentialnotice",
    ],
)
def test_every_clinics_admin_page_opens(staff_client: Client, name: str) -> None:
    assert staff_client.get(reverse(f"admin:clinics_{name}_changelist")).status_code == 200


def test_the_offering_list_filters_legality_conflicts(
    staff_client: Client, personas: Personas
) -> None:
    from .factories import LegalityRuleFactory

    LegalityRuleFactory.create(country="MX", cell_type="nk", legality="not_allowed")
    OfferingFactory.create(clinic=personas.clinic_a, cell_type="nk", title="NK immune boost")
    OfferingFactory.create(clinic=personas.clinic_a, title="Fat MSC knee")
    html = staff_client.get(
        reverse("admin:clinics_offering_changelist"), {"legality": "conflict"}
    ).content.decode()
    assert "NK immune boost" in html and "Fat MSC knee" not in html
