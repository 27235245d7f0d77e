"""Staff curate a draft proposal in the admin and send it; the patient gets one email."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from clinics.models import ClinicStatus, Legality
from core.models import AuditEvent, Notification
from core.notifications.services import outbox_drain
from intake.models import CaseStatus, Proposal, ProposalStatus, TokenPurpose
from intake.services.proposals import Curation, proposal_curate, proposal_send
from tests.clinics.factories import LegalityRuleFactory, OfferingFactory
from tests.factories import ClinicFactory, ConditionFactory

from .staff_factories import ProposalFactory, ProposedClinicFactory, ready_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def concierge_client(client: Client, personas: Any) -> Client:
    client.force_login(personas.concierge)
    return client


def change_url(proposal: Proposal) -> str:
    return reverse("admin:intake_proposal_change", args=[proposal.pk])


def form_data(response: Any) -> dict[str, Any]:
    """The POST body the admin change page would send back unchanged."""
    data: dict[str, Any] = {"_save": "Save"}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        data[form.add_prefix(name)] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, field in formset.management_form.fields.items():
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
            del field
        for sub in formset.forms:
            for name in sub.fields:
                if sub.fields[name].disabled:
                    continue
                value = sub[name].value()
                data[sub.add_prefix(name)] = "" if value is None else value
    return data


@pytest.fixture
def draft(personas: Any) -> Proposal:
    proposal = ProposalFactory.create(case=ready_case())
    ProposedClinicFactory.create(proposal=proposal, clinic=personas.clinic_a, position=1)
    ProposedClinicFactory.create(proposal=proposal, clinic=personas.clinic_b, position=2)
    return proposal


def test_staff_reorder_remove_and_add_clinics_in_one_save(
    concierge_client: Client, draft: Proposal, personas: Any
) -> None:
    knee = ConditionFactory.create(name="Knee osteoarthritis", slug="knee-osteoarthritis")
    draft.case.condition = knee
    draft.case.save()
    added = ClinicFactory.create(name="Gamma Clinic", country="MX")
    LegalityRuleFactory.create(country="MX", legality=Legality.ALLOWED)
    OfferingFactory.create(clinic=added, conditions=[knee])
    page = concierge_client.get(change_url(draft))
    data = form_data(page)
    # items-0 is clinic A, items-1 clinic B, items-2 the empty extra row.
    data["items-0-DELETE"] = "on"
    data["items-1-position"] = 5
    data["items-2-clinic"] = added.pk
    data["items-2-position"] = 1
    data["note_to_patient"] = "Both clinics treat knees every week."

    response = concierge_client.post(change_url(draft), data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    rows = list(draft.items.order_by("position").values_list("clinic__name", "position"))
    assert rows == [("Gamma Clinic", 1), ("Beta Cell Center", 2)]
    gamma = draft.items.get(clinic=added)
    assert gamma.score > 0
    assert {r["code"] for r in gamma.reasons} >= {"treats_condition", "budget"}
    draft.refresh_from_db()
    assert draft.note_to_patient == "Both clinics treat knees every week."
    event = AuditEvent.objects.get(action="intake.proposal_curated")
    assert event.data["added"] == [added.pk]
    assert event.data["removed"] == [personas.clinic_a.pk]


def test_an_unvetted_clinic_cannot_even_be_chosen(
    concierge_client: Client, draft: Proposal
) -> None:
    suspended = ClinicFactory.create(name="Suspended Clinic", status=ClinicStatus.SUSPENDED)
    page = concierge_client.get(change_url(draft))
    assert "Suspended Clinic" not in page.content.decode()
    data = form_data(page)
    data["items-2-clinic"] = suspended.pk

    response = concierge_client.post(change_url(draft), data)

    assert response.status_code == 200  # the form comes back with an error
    assert not draft.items.filter(clinic=suspended).exists()


def test_the_service_refuses_an_unvetted_clinic_too(draft: Proposal, personas: Any) -> None:
    from core.exceptions import DomainError

    applied = ClinicFactory.create(status=ClinicStatus.APPLIED)
    with pytest.raises(DomainError):
        proposal_curate(
            proposal=draft, curation=Curation(add=[applied]), acting_user=personas.concierge
        )
    assert draft.items.count() == 2


def test_the_same_clinic_twice_is_refused(
    concierge_client: Client, draft: Proposal, personas: Any
) -> None:
    data = form_data(concierge_client.get(change_url(draft)))
    data["items-2-clinic"] = personas.clinic_a.pk
    response = concierge_client.post(change_url(draft), data)
    assert response.status_code == 200
    assert draft.items.count() == 2


def test_sending_moves_the_case_to_matched_and_emails_after_commit(
    concierge_client: Client,
    draft: Proposal,
    personas: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = concierge_client.post(
            reverse("admin:intake_proposal_send", args=[draft.pk]), follow=True
        )
    assert "Proposal sent" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.SENT
    assert draft.sent_by == personas.concierge
    draft.case.refresh_from_db()
    assert draft.case.status == CaseStatus.MATCHED
    assert len(callbacks) == 1  # the dispatcher's nudge, after commit
    assert Notification.objects.get().kind == "intake.proposal_ready"
    assert mail.outbox == []  # nothing is sent inside the transaction
    event = AuditEvent.objects.get(action="intake.proposal_sent")
    assert event.data["clinic_ids"] == [personas.clinic_a.pk, personas.clinic_b.pk]


def test_the_email_links_to_the_case_page_and_goes_once(
    draft: Proposal, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        proposal_send(proposal=draft, acting_user=personas.concierge)
    assert len(callbacks) == 1
    row = Notification.objects.get(kind="intake.proposal_ready")
    assert (row.about, row.dedupe_key) == (draft, f"intake.proposal_ready:{draft.pk}")
    assert outbox_drain().sent == 1  # what the mail worker does, in-process

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [draft.case.patient.email]
    assert draft.case.reference in message.subject
    assert "/intake/c/" in message.body
    assert "suggests 2 vetted clinics" in message.body
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert "/intake/c/" in html
    assert draft.case.access_tokens.filter(purpose=TokenPurpose.CASE, notification=row).count() == 1
    # nothing is due twice
    assert outbox_drain().sent == 0
    assert len(mail.outbox) == 1


def test_a_transient_failure_goes_round_again_and_sends_once(
    draft: Proposal, personas: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        proposal_send(proposal=draft, acting_user=personas.concierge)
    settings.EMAIL_BACKEND = "tests.core.outbox_kinds.CodeBackend"
    case = draft.case
    type(case.patient).objects.filter(pk=case.patient_id).update(email="pat+451@patients.example")
    assert outbox_drain().retried == 1
    row = Notification.objects.get()
    assert (row.status, row.last_error) == ("queued", "SMTP 451 recipient refused")
    type(case.patient).objects.filter(pk=case.patient_id).update(email="pat@patients.example")
    Notification.objects.filter(pk=row.pk).update(due_at=row.created_at)
    assert outbox_drain().sent == 1
    assert [m.to for m in mail.outbox] == [["pat@patients.example"]]


def test_a_superseded_proposal_sends_nothing(
    draft: Proposal, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        proposal_send(proposal=draft, acting_user=personas.concierge)
    Proposal.objects.filter(pk=draft.pk).update(status=ProposalStatus.SUPERSEDED)
    assert outbox_drain().cancelled == 1
    assert mail.outbox == []


def test_a_second_sent_proposal_supersedes_the_first(
    draft: Proposal, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        proposal_send(proposal=draft, acting_user=personas.concierge)
    second = ProposalFactory.create(case=draft.case)
    ProposedClinicFactory.create(proposal=second, clinic=personas.clinic_b)

    with django_capture_on_commit_callbacks(execute=False):
        proposal_send(proposal=second, acting_user=personas.concierge)

    draft.refresh_from_db()
    assert draft.status == ProposalStatus.SUPERSEDED
    assert Proposal.objects.filter(case=draft.case, status=ProposalStatus.SENT).get() == second
    # The first proposal's e-mail had not left yet: only the second one goes.
    assert outbox_drain().sent == 1
    assert dict(Notification.objects.values_list("about_id", "status")) == {
        str(draft.pk): "cancelled",
        str(second.pk): "sent",
    }


def test_sending_refuses_an_empty_a_sent_or_an_unready_proposal(
    personas: Any, draft: Proposal, django_capture_on_commit_callbacks: Any
) -> None:
    from core.exceptions import DomainError

    empty = ProposalFactory.create(case=ready_case())
    with pytest.raises(DomainError):
        proposal_send(proposal=empty, acting_user=personas.concierge)

    with django_capture_on_commit_callbacks(execute=False):
        proposal_send(proposal=draft, acting_user=personas.concierge)
    with pytest.raises(DomainError):
        proposal_send(proposal=draft, acting_user=personas.concierge)

    unready = ProposalFactory.create(case=ready_case())
    ProposedClinicFactory.create(proposal=unready, clinic=personas.clinic_a)
    type(unready.case).objects.filter(pk=unready.case_id).update(status=CaseStatus.IN_REVIEW)
    with pytest.raises(DomainError):
        proposal_send(proposal=unready, acting_user=personas.concierge)


def test_a_clinic_suspended_after_the_draft_blocks_sending(personas: Any, draft: Proposal) -> None:
    from core.exceptions import DomainError

    type(personas.clinic_b).objects.filter(pk=personas.clinic_b.pk).update(
        status=ClinicStatus.SUSPENDED
    )
    with pytest.raises(DomainError, match="Only vetted clinics"):
        proposal_send(proposal=draft, acting_user=personas.concierge)
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.DRAFT


def test_a_sent_proposal_is_read_only_in_the_admin(
    concierge_client: Client,
    draft: Proposal,
    personas: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        proposal_send(proposal=draft, acting_user=personas.concierge)
    page = concierge_client.get(change_url(draft)).content.decode()
    assert 'name="_save"' not in page
    assert "sc-send-proposal" not in page


def test_only_concierge_staff_can_send(client: Client, draft: Proposal, personas: Any) -> None:
    client.force_login(personas.clinic_a_staff)
    response = client.post(reverse("admin:intake_proposal_send", args=[draft.pk]))
    assert response.status_code == 302  # to the admin login
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.DRAFT
