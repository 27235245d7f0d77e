"""Staff curate a draft proposal and send it to the patient.

Only vetted clinics are ever proposed: matching finds only those, a clinic
added by hand must be vetted, and sending re-checks every clinic (one may
have been suspended since the draft was made).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic, ClinicStatus
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.notifications.services import notifications_cancel_about, notify

from ..models import Case, CaseStatus, Proposal, ProposalStatus, ProposedClinic
from .transitions import case_transition


@dataclass
class Curation:
    """What staff changed on a draft proposal in one save."""

    add: list[Clinic] = field(default_factory=list)
    add_positions: dict[int, int] = field(default_factory=dict)  # clinic id -> position
    remove: list[int] = field(default_factory=list)  # ProposedClinic ids
    positions: dict[int, int] = field(default_factory=dict)  # ProposedClinic id -> position
    notes: dict[int, str] = field(default_factory=dict)  # ProposedClinic id -> staff note
    note_to_patient: str | None = None


def _lock_draft(proposal: Proposal) -> Proposal:
    locked = (
        Proposal.objects.select_for_update(of=("self",)).select_related("case").get(pk=proposal.pk)
    )
    if locked.status != ProposalStatus.DRAFT:
        raise DomainError(
            _("Only a draft proposal can be changed; this one is %(status)s.")
            % {"status": locked.get_status_display()},
            code="not_draft",
        )
    return locked


def _check_vetted(clinics: Iterable[Clinic]) -> None:
    ids = {c.pk for c in clinics}
    if not ids:
        return
    vetted = set(
        Clinic.objects.filter(pk__in=ids, status=ClinicStatus.VETTED).values_list("pk", flat=True)
    )
    refused = sorted(c.name for c in clinics if c.pk not in vetted)
    if refused:
        raise DomainError(
            _("Only vetted clinics can be proposed: %(names)s.") % {"names": ", ".join(refused)},
            code="not_vetted",
        )


@transaction.atomic
def proposal_curate(
    *,
    proposal: Proposal,
    curation: Curation,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Proposal:
    """Add, remove, reorder and annotate the clinics of a draft proposal.

    Added clinics are scored by the matching rules. Positions are renumbered
    1..n in the order staff gave. Audits ``intake.proposal_curated`` (ids only).
    Called from the admin's change form, which already runs in a transaction.
    """
    from ..matching import score_clinic_for_case

    locked = _lock_draft(proposal)
    items = {i.pk: i for i in locked.items.select_related("clinic")}
    unknown = (set(curation.remove) | set(curation.positions) | set(curation.notes)) - set(items)
    if unknown:
        raise DomainError(_("A clinic row does not belong to this proposal."), code="foreign_item")

    removed = [items.pop(pk) for pk in sorted(set(curation.remove))]
    ProposedClinic.objects.filter(pk__in=[i.pk for i in removed]).delete()

    present = {i.clinic_id for i in items.values()}
    additions = [c for c in curation.add if c.pk not in present]
    if len({c.pk for c in additions}) != len(additions):
        raise DomainError(_("The same clinic was added twice."), code="duplicate")
    _check_vetted(additions)

    for pk, position in curation.positions.items():
        items[pk].position = position
    for pk, note in curation.notes.items():
        items[pk].staff_note = note

    case = Case.objects.select_related("patient").get(pk=locked.case_id)
    next_position = max([i.position for i in items.values()], default=0)
    new_items: list[ProposedClinic] = []
    for clinic in additions:
        match = score_clinic_for_case(case=case, clinic=clinic)
        next_position += 1
        position = curation.add_positions.get(clinic.pk, next_position)
        new_items.append(
            ProposedClinic(
                proposal=locked,
                clinic=clinic,
                offering=match.offering,
                position=position,
                score=min(max(match.score, 0), 100),
                reasons=match.reasons_json(),
            )
        )

    # Renumber 1..n: the order staff asked for, ties by the earlier row.
    ordered = sorted([*items.values(), *new_items], key=lambda i: (i.position, i.pk or 10**12))
    for index, item in enumerate(ordered, start=1):
        item.position = index
        item.full_clean()
        item.save()

    if curation.note_to_patient is not None and curation.note_to_patient != locked.note_to_patient:
        locked.note_to_patient = curation.note_to_patient
        locked.full_clean()
        locked.save()

    audit_event_record(
        action="intake.proposal_curated",
        acting_user=acting_user,
        target=locked.case,
        request=request,
        data={
            "proposal_id": locked.pk,
            "added": [c.pk for c in additions],
            "removed": [i.clinic_id for i in removed],
            "order": [i.clinic_id for i in ordered],
        },
    )
    return locked


@transaction.atomic(durable=True)
def proposal_send(
    *, proposal: Proposal, acting_user: User, request: HttpRequest | None = None
) -> Proposal:
    """Send a draft proposal: the patient sees it on their case page and gets an email.

    A previously sent proposal of the case is superseded; the case moves to
    "matched" when it was "ready for clinics". The e-mail is queued in the
    outbox in this transaction (the superseded proposal's, if still queued, is
    cancelled). Audits ``intake.proposal_sent``.
    """
    # Case first, then proposal: the same order as matching_propose, so the two
    # can never wait on each other.
    case = Case.objects.select_for_update().get(pk=proposal.case_id)
    locked = _lock_draft(proposal)
    if case.status not in {CaseStatus.READY_FOR_CLINIC, CaseStatus.MATCHED}:
        raise DomainError(
            _("A proposal can be sent once the case is ready for clinics (it is %(status)s).")
            % {"status": case.get_status_display()},
            code="not_ready",
        )
    items = list(locked.items.select_related("clinic"))
    if not items:
        raise DomainError(_("Add at least one clinic before sending."), code="empty")
    _check_vetted([i.clinic for i in items])

    now = timezone.now()
    previous = list(
        Proposal.objects.select_for_update()
        .filter(case=case, status=ProposalStatus.SENT)
        .exclude(pk=locked.pk)
    )
    for old in previous:
        old.status = ProposalStatus.SUPERSEDED
        old.full_clean()
        old.save()
        notifications_cancel_about(about=old, kinds=["intake.proposal_ready"])

    locked.status = ProposalStatus.SENT
    locked.sent_at = now
    locked.sent_by = acting_user
    locked.full_clean()
    locked.save()

    if case.status == CaseStatus.READY_FOR_CLINIC:
        case_transition(
            case=case, to_status=CaseStatus.MATCHED, acting_user=acting_user, request=request
        )
    audit_event_record(
        action="intake.proposal_sent",
        acting_user=acting_user,
        target=case,
        request=request,
        data={
            "reference": case.reference,
            "proposal_id": locked.pk,
            "clinic_ids": [i.clinic_id for i in items],
            "superseded": [p.pk for p in previous],
        },
    )
    notify(
        kind="intake.proposal_ready",
        dedupe_key=f"intake.proposal_ready:{locked.pk}",
        about=locked,
    )
    return locked
