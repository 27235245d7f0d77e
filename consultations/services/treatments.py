"""Treatment plans and records, written by the clinic (portal) or the concierge (admin).

A plan for autologous cultured cells has two phases: the harvest visit, then the
treatment about six weeks later, each booked as a visit of its own. Each phase
queues its pre-treatment instructions, due a set number of days before it. A
completed treatment record is what follow-ups start from (they find it in the
data: ``consultations.selectors.treatments_completed_without``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic, Offering
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.notifications.services import notifications_cancel_about
from intake.models import Case, ClinicShare

from ..models import (
    MIN_CULTURE_DAYS,
    Booking,
    ConsultationType,
    PhaseKind,
    PlanStatus,
    RecordStatus,
    TreatmentPhase,
    TreatmentPlan,
    TreatmentRecord,
    culture_ready_on,
    needs_two_phases,
)
from . import notices
from ._common import audit_actor, require_clinic_member_or_staff
from .bookings import booking_create


def _require_shared(case: Case, clinic: Clinic) -> None:
    if not case.is_open or case.is_draft:
        raise DomainError(_("This case is closed."), code="closed")
    if not ClinicShare.objects.active().filter(case=case, clinic=clinic).exists():
        raise DomainError(
            _("The patient has not shared this case with the clinic."), code="not_shared"
        )


def _audit(
    action: str,
    acting_user: User | None,
    target: Model,
    request: HttpRequest | None,
    **data: object,
) -> None:
    audit_event_record(
        action=f"consultations.{action}",
        acting_user=audit_actor(acting_user),
        target=target,
        request=request,
        data={k: str(v) for k, v in data.items()},
    )


@transaction.atomic
def treatment_plan_create(
    *,
    case: Case,
    clinic: Clinic,
    offering: Offering,
    arrival_date: date,
    departure_date: date,
    treatment_date: date,
    harvest_date: date | None = None,
    minimum_stay_nights: int = 2,
    sedation: bool = False,
    instructions_days_before: int = 7,
    notes: str = "",
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> TreatmentPlan:
    """Plan a treatment; a two-phase offering (autologous, cultured) needs a harvest date at
    least three weeks before the treatment (about six is usual).
    Side effects: audit row, pre-treatment instructions queued for each phase."""
    require_clinic_member_or_staff(acting_user, clinic.pk)
    _require_shared(case, clinic)
    plan = TreatmentPlan(
        case=case,
        clinic=clinic,
        offering=offering,
        arrival_date=arrival_date,
        departure_date=departure_date,
        minimum_stay_nights=minimum_stay_nights,
        sedation=sedation,
        instructions_days_before=instructions_days_before,
        notes=notes.strip(),
        created_by=audit_actor(acting_user),
    )
    plan.full_clean()
    if not arrival_date <= treatment_date <= departure_date:
        raise DomainError(
            _("The treatment date must fall within the stay."), code="treatment_outside_stay"
        )
    phases = [TreatmentPhase(kind=PhaseKind.TREATMENT, planned_date=treatment_date)]
    if needs_two_phases(offering):
        if harvest_date is None:
            raise DomainError(
                _(
                    "Cultured cells from the patient need a harvest visit first: give its date "
                    "(usually about six weeks before the treatment)."
                ),
                code="harvest_required",
            )
        if (treatment_date - harvest_date).days < MIN_CULTURE_DAYS:
            raise DomainError(
                _(
                    "Leave at least three weeks between harvest and treatment for the cells to "
                    "grow (about six is usual: %(date)s)."
                )
                % {"date": culture_ready_on(harvest_date).isoformat()},
                code="culture_too_short",
            )
        phases.insert(0, TreatmentPhase(kind=PhaseKind.HARVEST, planned_date=harvest_date))
    elif harvest_date is not None:
        raise DomainError(
            _("Only cultured cells from the patient need a separate harvest."),
            code="harvest_not_needed",
        )
    plan.save()
    for phase in phases:
        phase.plan = plan
        phase.full_clean()
        phase.save()
        notices.pretreatment_instructions_queue(phase)
    _audit(
        "plan.created",
        acting_user,
        plan,
        request,
        case=case.pk,
        clinic=clinic.pk,
        offering=offering.pk,
        phases=len(phases),
    )
    return plan


@transaction.atomic
def treatment_phase_book(
    *,
    phase: TreatmentPhase,
    consultation_type: ConsultationType,
    start: datetime,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> Booking:
    """Book a phase's visit (harvest or treatment) in the clinic's calendar for the patient."""
    plan = phase.plan
    require_clinic_member_or_staff(acting_user, plan.clinic_id)
    if consultation_type.host.clinic_id != plan.clinic_id:
        raise DomainError(_("Choose one of this clinic's consultation types."), code="foreign_type")
    if phase.booking_id is not None and phase.booking is not None and phase.booking.is_active:
        raise DomainError(
            _("This visit is already booked; reschedule it instead."), code="already_booked"
        )
    if plan.status != PlanStatus.PLANNED:
        raise DomainError(_("This plan is no longer open."), code="plan_closed")
    booking = booking_create(
        case=plan.case,
        consultation_type=consultation_type,
        start=start,
        acting_user=acting_user,
        request=request,
    )
    phase.booking = booking
    phase.save(update_fields=["booking"])
    _audit("plan.phase_booked", acting_user, plan, request, phase=phase.pk, booking=booking.pk)
    return booking


@transaction.atomic
def treatment_plan_cancel(
    *,
    plan: TreatmentPlan,
    reason: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> TreatmentPlan:
    """Cancel a plan; its instructions are withdrawn (booked visits are cancelled on their own,
    with a reason to the patient). Side effects: audit row."""
    require_clinic_member_or_staff(acting_user, plan.clinic_id)
    if not reason.strip():
        raise DomainError(_("Please give a reason."), code="reason_required")
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    plan.transition_to(PlanStatus.CANCELLED)
    plan.status_changed_at = timezone.now()
    plan.save(update_fields=["status", "status_changed_at", "updated_at"])
    for phase in plan.phases.all():
        notifications_cancel_about(about=phase)
    _audit("plan.cancelled", acting_user, plan, request, reason=reason.strip()[:200])
    return plan


@transaction.atomic
def treatment_record_save(
    *, record: TreatmentRecord, acting_user: User | None, request: HttpRequest | None = None
) -> TreatmentRecord:
    """Create or edit a draft treatment record. Side effects: audit row."""
    require_clinic_member_or_staff(acting_user, record.clinic_id)
    if record.pk is not None:
        current = TreatmentRecord.objects.select_for_update().get(pk=record.pk)
        if current.status != RecordStatus.DRAFT:
            raise DomainError(
                _("A completed record cannot be edited; void it and record again."),
                code="not_draft",
            )
    _require_shared(record.case, record.clinic)
    plan = record.plan if record.plan_id is not None else None
    if plan is not None and (plan.case_id != record.case_id or plan.clinic_id != record.clinic_id):
        raise DomainError(_("This plan belongs to another case or clinic."), code="foreign_plan")
    created = record.pk is None
    record.recorded_by = record.recorded_by or audit_actor(acting_user)
    record.full_clean()
    record.save()
    _audit(
        "record.created" if created else "record.changed",
        acting_user,
        record,
        request,
        case=record.case_id,
        kind=record.kind,
    )
    return record


@transaction.atomic
def treatment_record_complete(
    *, record: TreatmentRecord, acting_user: User | None, request: HttpRequest | None = None
) -> TreatmentRecord:
    """The treatment took place as recorded: the record is final (lot number required).
    Completing the treatment phase completes its plan. Follow-ups start from this.
    Side effects: audit row."""
    require_clinic_member_or_staff(acting_user, record.clinic_id)
    record = (
        TreatmentRecord.objects.select_for_update(of=("self",))
        .select_related("plan", "offering", "clinic")
        .get(pk=record.pk)
    )
    if record.treated_on > timezone.localdate() + timedelta(days=1):
        raise DomainError(
            _("A treatment in the future cannot be completed yet."), code="future_treatment"
        )
    record.transition_to(RecordStatus.COMPLETED)
    record.completed_at = timezone.now()
    record.full_clean()
    record.save()
    plan = record.plan
    if (
        plan is not None
        and record.kind == PhaseKind.TREATMENT
        and plan.can_transition_to(PlanStatus.COMPLETED)
    ):
        plan.transition_to(PlanStatus.COMPLETED)
        plan.status_changed_at = timezone.now()
        plan.save(update_fields=["status", "status_changed_at", "updated_at"])
    _audit(
        "record.completed",
        acting_user,
        record,
        request,
        case=record.case_id,
        clinic=record.clinic_id,
        kind=record.kind,
        dose_only_in_ml=record.dose_only_in_ml,
    )
    return record


@transaction.atomic
def treatment_record_void(
    *,
    record: TreatmentRecord,
    reason: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> TreatmentRecord:
    """Mark a record entered in error (it stays, for the audit trail). Side effects: audit."""
    require_clinic_member_or_staff(acting_user, record.clinic_id)
    if not reason.strip():
        raise DomainError(_("Please give a reason."), code="reason_required")
    record = TreatmentRecord.objects.select_for_update().get(pk=record.pk)
    record.transition_to(RecordStatus.VOIDED)
    record.save(update_fields=["status", "updated_at"])
    _audit("record.voided", acting_user, record, request, reason=reason.strip()[:200])
    return record
