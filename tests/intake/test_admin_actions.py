"""Triage actions in the admin: they call services, write history and audit rows,
and refuse what the transition table does not allow without changing anything."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from intake.models import Case, CaseStatus, ClinicShare, ProposalStatus
from intake.triage import Flag

from .staff_factories import (
    CaseDocumentFactory,
    CaseFactory,
    ClinicShareFactory,
    PdfRecordFactory,
    ProposalFactory,
    ProposedClinicFactory,
)

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:intake_case_changelist")


@pytest.fixture
def concierge_client(client: Client, personas: Any) -> Client:
    client.force_login(personas.concierge)
    return client


def act(client: Client, action: str, *cases: Case) -> list[str]:
    # "All" statuses: the default queue hides closed cases, and an admin action
    # only ever receives rows of the list the concierge is looking at.
    response = client.post(
        QUEUE + "?queue=all",
        {
            "action": action,
            "index": 0,
            "_selected_action": [c.pk for c in cases],
        },
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


def status_of(case: Case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


def test_assign_to_me_sets_the_owner_with_history_and_audit(
    concierge_client: Client, personas: Any
) -> None:
    case = CaseFactory.create()

    messages = act(concierge_client, "assign_to_me", case)

    case.refresh_from_db()
    assert case.owner == personas.concierge
    assert messages == ["1 case(s) assigned to you."]
    event = AuditEvent.objects.get(action="case.owner_changed")
    assert event.actor == personas.concierge
    assert event.data == {"from": None, "to": personas.concierge.pk}
    assert case.history.first().owner_id == personas.concierge.pk


def test_a_legal_move_changes_the_status_and_records_who_did_it(
    concierge_client: Client, personas: Any
) -> None:
    first, second = CaseFactory.create(), CaseFactory.create()

    messages = act(concierge_client, "move_to_in_review", first, second)

    assert status_of(first) == status_of(second) == CaseStatus.IN_REVIEW
    assert "2 case(s) moved to “In review”" in messages[0]
    events = AuditEvent.objects.filter(action="case.status_changed")
    assert events.count() == 2
    assert {e.data["to"] for e in events} == {"in_review"}
    assert all(e.actor == personas.concierge for e in events)
    latest = first.history.first()
    assert latest.status == CaseStatus.IN_REVIEW
    assert latest.history_user == personas.concierge


def test_a_move_the_table_forbids_shows_an_error_and_changes_nothing(
    concierge_client: Client,
) -> None:
    new = CaseFactory.create(status=CaseStatus.NEW)

    messages = act(concierge_client, "move_to_matched", new)

    assert status_of(new) == CaseStatus.NEW
    assert len(messages) == 1
    assert "Nothing was changed" in messages[0]
    assert new.reference in messages[0]
    assert not AuditEvent.objects.filter(action="case.status_changed").exists()


def test_a_batch_with_one_forbidden_move_changes_none_of_the_cases(
    concierge_client: Client,
) -> None:
    fine = CaseFactory.create(status=CaseStatus.NEW)
    closed = CaseFactory.create(status=CaseStatus.CLOSED)

    messages = act(concierge_client, "move_to_in_review", fine, closed)

    assert status_of(fine) == CaseStatus.NEW
    assert status_of(closed) == CaseStatus.CLOSED
    assert closed.reference in messages[0]
    assert fine.reference not in messages[0]
    assert not AuditEvent.objects.filter(action="case.status_changed").exists()


def test_ready_for_clinics_is_refused_without_imaging_or_records(
    concierge_client: Client,
) -> None:
    bare = CaseFactory.create(status=CaseStatus.IN_REVIEW)
    only_other = CaseFactory.create(status=CaseStatus.IN_REVIEW)
    CaseDocumentFactory.create(case=only_other, doc_type="other")

    messages = act(concierge_client, "move_to_ready_for_clinic", bare)
    assert status_of(bare) == CaseStatus.IN_REVIEW
    assert "imaging study or medical record" in messages[0]

    act(concierge_client, "move_to_ready_for_clinic", only_other)
    assert status_of(only_other) == CaseStatus.IN_REVIEW


def test_ready_for_clinics_is_allowed_with_a_record(concierge_client: Client) -> None:
    case = CaseFactory.create(status=CaseStatus.CLINICIAN_REVIEW)
    PdfRecordFactory.create(case=case)

    act(concierge_client, "move_to_ready_for_clinic", case)

    assert status_of(case) == CaseStatus.READY_FOR_CLINIC


def test_matched_needs_a_proposal_sent_to_the_patient(concierge_client: Client) -> None:
    case = CaseFactory.create(status=CaseStatus.READY_FOR_CLINIC)
    CaseDocumentFactory.create(case=case)
    ProposalFactory.create(case=case, status=ProposalStatus.DRAFT)

    messages = act(concierge_client, "move_to_matched", case)

    assert status_of(case) == CaseStatus.READY_FOR_CLINIC
    assert "send one first" in messages[0]


def test_withdrawing_from_the_admin_ends_every_clinic_share(
    concierge_client: Client, personas: Any
) -> None:
    share = ClinicShareFactory.create(clinic=personas.clinic_a)

    act(concierge_client, "move_to_withdrawn", share.case)

    assert status_of(share.case) == CaseStatus.WITHDRAWN
    share.refresh_from_db()
    assert share.revoked_at is not None
    assert not ClinicShare.objects.active().filter(case=share.case).exists()


def test_the_change_page_puts_alerts_and_the_summary_on_top(concierge_client: Client) -> None:
    case = CaseFactory.create(
        triage_flags=[Flag.ACTIVE_INFECTION, Flag.PREVIOUS_ADVERSE, Flag.NSAIDS],
        has_hard_contraindication=True,
        budget_min_usd=4000,
        budget_max_usd=9000,
        countries_accepted=["MX", "CO"],
        severity=7,
    )
    CaseDocumentFactory.create(case=case)

    html = concierge_client.get(reverse("admin:intake_case_change", args=[case.pk])).content
    page = html.decode()

    summary = page[page.index('id="case-summary"') : page.index("</section>")]
    assert 'role="alert"' in summary
    assert "Alert: Active infection" in summary
    assert "Alert: Bad reaction to a previous cell treatment" in summary
    assert "sc-badge-caution" in summary  # NSAIDs
    assert "USD 4,000 - 9,000" in summary
    assert "Mexico, Colombia" in summary
    assert "7/10" in summary
    assert "1 imaging, 0 records, 0 other" in summary
    assert "1 DICOM" in summary
    # the page shows no form to edit the patient's answers
    assert 'name="_save"' not in page


def test_the_change_page_buttons_assign_and_move(concierge_client: Client, personas: Any) -> None:
    case = CaseFactory.create()
    url = reverse("admin:intake_case_triage", args=[case.pk])

    concierge_client.post(url, {"command": "assign_to_me"})
    concierge_client.post(url, {"command": "transition", "to_status": "in_review"})
    response = concierge_client.post(
        url, {"command": "transition", "to_status": "matched"}, follow=True
    )

    case.refresh_from_db()
    assert case.owner == personas.concierge
    assert case.status == CaseStatus.IN_REVIEW
    assert "Nothing was changed" in response.content.decode()


def test_the_change_page_buttons_refuse_a_draft_status_and_other_users(
    client: Client, personas: Any
) -> None:
    case = CaseFactory.create()
    url = reverse("admin:intake_case_triage", args=[case.pk])
    client.force_login(personas.concierge)
    client.post(url, {"command": "transition", "to_status": "draft"})
    assert status_of(case) == CaseStatus.NEW

    client.force_login(personas.clinic_a_staff)
    response = client.post(url, {"command": "transition", "to_status": "in_review"})
    assert response.status_code == 302  # the admin login, for a non-staff user
    assert status_of(case) == CaseStatus.NEW


def test_propose_clinics_from_the_change_page_opens_the_draft(
    concierge_client: Client,
) -> None:
    case = CaseFactory.create(status=CaseStatus.READY_FOR_CLINIC)
    CaseDocumentFactory.create(case=case)
    response = concierge_client.post(
        reverse("admin:intake_case_triage", args=[case.pk]), {"command": "propose"}
    )
    proposal = case.proposals.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:intake_proposal_change", args=[proposal.pk])


def test_a_sent_proposal_lets_the_case_be_matched_again_after_a_step_back(
    concierge_client: Client, personas: Any
) -> None:
    case = CaseFactory.create(status=CaseStatus.READY_FOR_CLINIC)
    CaseDocumentFactory.create(case=case)
    from django.utils import timezone

    proposal = ProposalFactory.create(case=case, status=ProposalStatus.SENT, sent_at=timezone.now())
    ProposedClinicFactory.create(proposal=proposal, clinic=personas.clinic_a)

    act(concierge_client, "move_to_matched", case)

    assert status_of(case) == CaseStatus.MATCHED
