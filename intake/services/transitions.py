"""Status changes and ownership: the only way a case's status moves."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.public_cache import public_pages_changed
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User

from ..models import Case, CaseStatus


def _set_status(*, case: Case, to_status: str) -> str:
    """Move ``case`` (locked by the caller) to ``to_status``; returns the old status."""
    if not case.can_transition_to(to_status):
        raise DomainError(
            _("A case cannot go from %(from)s to %(to)s.")
            % {"from": case.get_status_display(), "to": CaseStatus(to_status).label},
            code="bad_transition",
        )
    if to_status == CaseStatus.READY_FOR_CLINIC and not case.has_imaging_or_records():
        raise DomainError(
            _(
                "A case needs at least one imaging study or medical record "
                "before clinics can see it."
            ),
            code="no_documents",
        )
    old = case.status
    case.status = to_status
    case.status_changed_at = timezone.now()
    if to_status == CaseStatus.WITHDRAWN:
        public_pages_changed()  # published outcomes leave a withdrawn patient's answers out
    return old


@transaction.atomic
def case_transition(
    *, case: Case, to_status: str, acting_user: User | None, request: HttpRequest | None = None
) -> Case:
    """Change a case's status by the transition table; audits ``case.status_changed``."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    old = _set_status(case=locked, to_status=to_status)
    locked.full_clean()
    locked.save()
    audit_event_record(
        action="case.status_changed",
        acting_user=acting_user,
        target=locked,
        request=request,
        data={"reference": locked.reference, "from": old, "to": to_status},
    )
    return locked


@transaction.atomic
def case_assign_owner(
    *,
    case: Case,
    owner: User | None,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> Case:
    """Give a submitted case to a staff owner (or take it away with ``owner=None``)."""
    if owner is not None and not (owner.is_active and owner.is_staff):
        raise DomainError(_("Only active concierge staff can own a case."), code="not_staff")
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.is_draft:
        raise DomainError(_("A draft has no owner until it is submitted."), code="draft")
    old = locked.owner_id
    locked.owner = owner
    locked.full_clean()
    locked.save()
    audit_event_record(
        action="case.owner_changed",
        acting_user=acting_user,
        target=locked,
        request=request,
        data={"from": old, "to": owner.pk if owner else None},
    )
    return locked
