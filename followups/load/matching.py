"""Matching for the load data set: proposals sent to patients and cases shared with clinics.

Every case that reached the clinics (ready, matched, closed) has a sent proposal of
three vetted clinics with an offering each; a matched or closed case is shared with
the first of them, and some earlier shares were revoked.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from clinics.models import ClinicStatus
from core.models import User
from intake.models import ClinicShare, Proposal, ProposalStatus, ProposedClinic

from .bulk import Writer
from .cases import LoadedCase
from .clinics import LoadedClinic

PROPOSED = ("ready_for_clinic", "matched", "closed")
SHARED = ("matched", "closed")
CLINICS_PER_PROPOSAL = 3


def load_matching(
    writer: Writer,
    rng: random.Random,
    *,
    clinics: list[LoadedClinic],
    cases: list[LoadedCase],
    staff: User,
) -> None:
    """A sent proposal per case at the clinic stage, and the shares that followed."""
    vetted = [c for c in clinics if c.status == ClinicStatus.VETTED and c.offerings]
    now = timezone.now()
    proposals: list[Proposal] = []
    items: list[ProposedClinic] = []
    shares: list[ClinicShare] = []
    for case in cases:
        if case.status not in PROPOSED or case.submitted_at is None:
            continue
        sent = min(now, case.submitted_at + dt.timedelta(days=rng.randint(3, 20)))
        proposal = writer.assign(
            Proposal(
                case_id=case.pk,
                status=ProposalStatus.SENT,
                created_by_id=staff.pk,
                created_at=sent - dt.timedelta(hours=2),
                sent_by_id=staff.pk,
                sent_at=sent,
                note_to_patient="Three clinics that treat your condition within your budget.",
            )
        )
        proposals.append(proposal)
        chosen = rng.sample(vetted, min(CLINICS_PER_PROPOSAL, len(vetted)))
        for position, clinic in enumerate(chosen):
            offering = rng.choice(clinic.offerings)
            items.append(
                writer.assign(
                    ProposedClinic(
                        proposal_id=proposal.pk,
                        clinic_id=clinic.pk,
                        offering_id=offering.pk,
                        position=position,
                        score=rng.randint(60, 95),
                        reasons=[
                            {"code": "condition", "label": "Treats the condition", "ok": True}
                        ],
                    )
                )
            )
        if case.status in SHARED:
            granted = sent + dt.timedelta(days=rng.randint(1, 10))
            shares.append(
                writer.assign(
                    ClinicShare(case_id=case.pk, clinic_id=chosen[0].pk, granted_at=granted)
                )
            )
            if len(chosen) > 1 and rng.random() < 0.2:  # asked a second clinic, then withdrew
                shares.append(
                    writer.assign(
                        ClinicShare(
                            case_id=case.pk,
                            clinic_id=chosen[1].pk,
                            granted_at=granted,
                            revoked_at=granted + dt.timedelta(days=5),
                        )
                    )
                )
    writer.insert(Proposal, proposals)
    writer.insert(ProposedClinic, items)
    writer.insert(ClinicShare, shares)
