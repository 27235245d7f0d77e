"""Staff triage in bulk: what the admin's actions call.

Each batch is all-or-nothing: if any selected case may not make the move, the
whole batch is rolled back and the concierge sees which cases and why. The
per-case rules live in ``intake.services.transitions`` (INTAKE-CORE); this
module adds the rules that need other rows (a sent proposal before
"matched") and routes a withdrawal through ``case_withdraw`` so links and
clinic shares are revoked with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from core.models import User

from ..models import Case, CaseStatus, ProposalStatus
from .transitions import case_assign_owner, case_transition


@dataclass(frozen=True)
class Refusal:
    reference: str
    message: str


class BatchRefused(DomainError):
    """Some cases of a batch may not make the move; nothing was changed."""

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals
        detail = "; ".join(f"{r.reference}: {r.message}" for r in refusals)
        super().__init__(
            _("Nothing was changed. %(detail)s") % {"detail": detail}, code="batch_refused"
        )


def _check_extra_rules(case: Case, to_status: str) -> None:
    if (
        to_status == CaseStatus.MATCHED
        and not case.proposals.filter(status=ProposalStatus.SENT).exists()
    ):
        raise DomainError(
            _("A case is matched when a proposal is sent to the patient; send one first."),
            code="no_sent_proposal",
        )


@transaction.atomic
def case_transition_checked(
    *, case: Case, to_status: str, acting_user: User | None, request: HttpRequest | None = None
) -> Case:
    """One case through the table plus the staff-side rules; withdrawals revoke access."""
    if to_status not in CaseStatus.values or to_status == CaseStatus.DRAFT:
        raise DomainError(_("Unknown status."), code="bad_status")
    _check_extra_rules(case, to_status)
    if to_status == CaseStatus.WITHDRAWN:
        from . import case_withdraw  # INTAKE-CORE's: also revokes links and clinic shares

        return case_withdraw(case=case, acting_user=acting_user, request=request)
    return case_transition(case=case, to_status=to_status, acting_user=acting_user, request=request)


def _each_or_none(cases: Iterable[Case], apply: Callable[[Case], Case]) -> list[Case]:
    """Apply to every case or to none: collect each refusal, then raise them together."""
    # Lock in primary-key order so two concierges' batches cannot deadlock.
    ids = sorted({c.pk for c in cases})
    locked = list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    done: list[Case] = []
    refusals: list[Refusal] = []
    for case in locked:
        try:
            done.append(apply(case))
        except DomainError as exc:
            refusals.append(Refusal(reference=case.reference, message=str(exc.message)))
    if refusals:
        raise BatchRefused(refusals)
    return done


@transaction.atomic(durable=True)
def cases_transition(
    *,
    cases: Iterable[Case],
    to_status: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> list[Case]:
    """Move every case to ``to_status`` or none of them (raises BatchRefused)."""
    return _each_or_none(
        cases,
        lambda case: case_transition_checked(
            case=case, to_status=to_status, acting_user=acting_user, request=request
        ),
    )


@transaction.atomic(durable=True)
def cases_assign(
    *,
    cases: Iterable[Case],
    owner: User | None,
    acting_user: User,
    request: HttpRequest | None = None,
) -> list[Case]:
    """Give every case to ``owner`` (None: unassign) or none of them (raises BatchRefused)."""
    return _each_or_none(
        cases,
        lambda case: case_assign_owner(
            case=case, owner=owner, acting_user=acting_user, request=request
        ),
    )
