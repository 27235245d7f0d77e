"""What staff and clinics do with follow-ups: grade events, rate relatedness, close tasks."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import ClinicMembership
from clinics.public_cache import public_pages_changed
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.notifications.services import notifications_cancel_about, notify

from ..models import (
    AdverseEvent,
    CheckIn,
    CheckInStatus,
    EventStatus,
    Relatedness,
    StaffTask,
    TaskStatus,
)
from .schedule import CHECKIN_KINDS, INVITE_KIND


def _require_concierge(user: User | None) -> User:
    if user is None or not user.is_concierge:
        raise DomainError(_("Only concierge staff can do this."), code="forbidden")
    return user


@transaction.atomic
def adverse_event_grade(
    *,
    event: AdverseEvent,
    ctcae_grade: int,
    relatedness: str,
    action_taken: str,
    outcome: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> AdverseEvent:
    """Staff grade an event: CTCAE grade, WHO-UMC relatedness, action and outcome."""
    staff = _require_concierge(acting_user)
    locked = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if locked.status == EventStatus.OPEN:
        locked.transition_to(EventStatus.GRADED)
    elif locked.status != EventStatus.GRADED:
        raise DomainError(_("Reopen the event before grading it again."), code="closed")
    locked.ctcae_grade = ctcae_grade
    locked.relatedness = relatedness
    locked.action_taken = action_taken.strip()
    locked.outcome = outcome
    locked.graded_by = staff
    locked.graded_at = timezone.now()
    if not locked.action_taken:
        raise DomainError(_("Say what action was taken."), code="action_required")
    locked.full_clean()
    locked.save()
    public_pages_changed()  # outcomes show events by grade
    audit_event_record(
        action="followups.adverse_event_graded",
        acting_user=staff,
        target=locked,
        request=request,
        data={"grade": ctcae_grade, "relatedness": relatedness, "outcome": outcome},
    )
    return locked


@transaction.atomic
def adverse_event_close(
    *, event: AdverseEvent, acting_user: User | None, request: HttpRequest | None = None
) -> AdverseEvent:
    """Close a graded event; an ungraded one cannot close (the table and a constraint say so)."""
    staff = _require_concierge(acting_user)
    locked = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if locked.status == EventStatus.OPEN:
        raise DomainError(
            _("Grade the event (severity, relatedness, action, outcome) before closing it."),
            code="not_graded",
        )
    old = locked.transition_to(EventStatus.CLOSED)
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    audit_event_record(
        action="followups.adverse_event_closed",
        acting_user=staff,
        target=locked,
        request=request,
        data={"from": old},
    )
    return locked


@transaction.atomic
def adverse_event_clinic_rate(
    *,
    event: AdverseEvent,
    relatedness: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> AdverseEvent:
    """The clinic rates relatedness (WHO-UMC) for an event of one of its own patients."""
    if (
        acting_user is None
        or not ClinicMembership.objects.filter(
            user=acting_user, clinic_id=event.clinic_id, user__is_active=True
        ).exists()
    ):
        raise DomainError(_("Only the clinic's own staff can rate this."), code="forbidden")
    if relatedness not in Relatedness.values:
        raise DomainError(_("Choose one of the WHO-UMC categories."), code="invalid")
    locked = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    locked.clinic_relatedness = relatedness
    locked.clinic_rated_at = timezone.now()
    locked.save(update_fields=["clinic_relatedness", "clinic_rated_at"])
    public_pages_changed()  # outcomes count events still unrated
    audit_event_record(
        action="followups.adverse_event_clinic_rated",
        acting_user=acting_user,
        target=locked,
        request=request,
        data={"relatedness": relatedness, "clinic": locked.clinic_id},
    )
    return locked


@transaction.atomic
def staff_task_done(
    *, task: StaffTask, note: str, acting_user: User | None, request: HttpRequest | None = None
) -> StaffTask:
    """Mark a call or review done, with what was said or decided."""
    staff = _require_concierge(acting_user)
    locked = StaffTask.objects.select_for_update().get(pk=task.pk)
    old = locked.transition_to(TaskStatus.DONE)
    locked.done_by = staff
    locked.done_at = timezone.now()
    locked.note = note.strip()[:2000]
    locked.save()
    audit_event_record(
        action="followups.task_done",
        acting_user=staff,
        target=locked,
        request=request,
        data={"from": old, "kind": locked.kind, "check_in": locked.check_in_id},
    )
    return locked


@transaction.atomic
def checkin_mark_missed(
    *, check_in: CheckIn, acting_user: User | None, request: HttpRequest | None = None
) -> CheckIn:
    staff = _require_concierge(acting_user)
    locked = CheckIn.objects.select_for_update().get(pk=check_in.pk)
    old = locked.transition_to(CheckInStatus.MISSED)
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    notifications_cancel_about(about=locked, kinds=CHECKIN_KINDS)
    audit_event_record(
        action="followups.checkin_missed",
        acting_user=staff,
        target=locked,
        request=request,
        data={"from": old},
    )
    return locked


@transaction.atomic
def checkin_resend(
    *, check_in: CheckIn, acting_user: User | None, request: HttpRequest | None = None
) -> CheckIn:
    """Send the invitation again now (a new message with a new link)."""
    staff = _require_concierge(acting_user)
    locked = CheckIn.objects.select_for_update().get(pk=check_in.pk)
    if locked.status == CheckInStatus.FAILED:
        locked.transition_to(CheckInStatus.INVITED)
    if locked.status not in (CheckInStatus.SCHEDULED, CheckInStatus.INVITED, CheckInStatus.MISSED):
        raise DomainError(_("Only an open check-in can be sent again."), code="closed")
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    notify(kind=INVITE_KIND, dedupe_key=f"{INVITE_KIND}:{locked.pk}:resend:{stamp}", about=locked)
    audit_event_record(
        action="followups.checkin_resent",
        acting_user=staff,
        target=locked,
        request=request,
        data={"time_point": locked.time_point},
    )
    return locked
