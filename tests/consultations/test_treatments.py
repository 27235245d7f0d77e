"""Treatment plans (one or two phases), records, instructions, and verified reviews."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clinics.models import ClinicStatus, ReviewStatus
from clinics.services import review_submit
from consultations.models import PhaseKind, PlanStatus, RecordStatus, TreatmentRecord
from consultations.selectors import completed_treatments
from consultations.services import (
    treatment_phase_book,
    treatment_plan_create,
    treatment_record_complete,
    treatment_record_save,
)
from core.exceptions import DomainError
from core.models import Notification
from core.notifications.services import outbox_drain
from intake.models import Case
from tests.clinics.factories import DoctorFactory, OfferingFactory
from tests.conftest import Personas

from .conftest import Calendars, host_time
from .factories import share

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(alice_case: Case, personas: Personas) -> Case:
    share(alice_case, personas.clinic_a)
    return alice_case


def _dates(weeks: int = 10) -> tuple[dt.date, dt.date]:
    treatment = timezone.localdate() + dt.timedelta(weeks=weeks)
    return treatment - dt.timedelta(days=1), treatment


def test_cultured_autologous_cells_need_two_phases_six_weeks_apart(
    shared: Case, personas: Personas
) -> None:
    offering = OfferingFactory.create(
        clinic=personas.clinic_a,
        origin="autologous",
        manipulation="cultured",
        cell_source="bone_marrow",
    )
    arrival, treatment = _dates()
    with pytest.raises(DomainError, match="harvest visit first"):
        treatment_plan_create(
            case=shared,
            clinic=personas.clinic_a,
            offering=offering,
            arrival_date=arrival,
            departure_date=arrival + dt.timedelta(days=3),
            treatment_date=treatment,
            acting_user=personas.clinic_a_staff,
        )
    with pytest.raises(DomainError, match="three weeks"):
        treatment_plan_create(
            case=shared,
            clinic=personas.clinic_a,
            offering=offering,
            arrival_date=arrival,
            departure_date=arrival + dt.timedelta(days=3),
            treatment_date=treatment,
            harvest_date=treatment - dt.timedelta(days=10),
            acting_user=personas.clinic_a_staff,
        )
    plan = treatment_plan_create(
        case=shared,
        clinic=personas.clinic_a,
        offering=offering,
        arrival_date=arrival,
        departure_date=arrival + dt.timedelta(days=3),
        treatment_date=treatment,
        harvest_date=treatment - dt.timedelta(weeks=6),
        sedation=True,
        acting_user=personas.clinic_a_staff,
    )
    assert plan.is_two_phase
    assert [p.kind for p in plan.phases.order_by("planned_date")] == [
        PhaseKind.HARVEST,
        PhaseKind.TREATMENT,
    ]
    due = Notification.objects.filter(kind="consultations.pretreatment").order_by("due_at")
    assert due.count() == 2
    assert due[0].due_at.date() <= plan.phases.get(kind="harvest").planned_date


def test_an_allogeneic_offering_has_one_phase_and_refuses_a_harvest(
    shared: Case, personas: Personas
) -> None:
    offering = OfferingFactory.create(
        clinic=personas.clinic_a, origin="allogeneic", cell_source="umbilical_cord"
    )
    arrival, treatment = _dates()
    with pytest.raises(DomainError, match="Only cultured"):
        treatment_plan_create(
            case=shared,
            clinic=personas.clinic_a,
            offering=offering,
            arrival_date=arrival,
            departure_date=arrival + dt.timedelta(days=3),
            treatment_date=treatment,
            harvest_date=arrival,
            acting_user=personas.clinic_a_staff,
        )
    with pytest.raises(ValidationError, match="minimum stay"):
        treatment_plan_create(
            case=shared,
            clinic=personas.clinic_a,
            offering=offering,
            arrival_date=arrival,
            departure_date=arrival + dt.timedelta(days=1),
            treatment_date=treatment,
            minimum_stay_nights=2,
            acting_user=personas.clinic_a_staff,
        )
    plan = treatment_plan_create(
        case=shared,
        clinic=personas.clinic_a,
        offering=offering,
        arrival_date=arrival,
        departure_date=arrival + dt.timedelta(days=3),
        treatment_date=treatment,
        acting_user=personas.clinic_a_staff,
    )
    assert [p.kind for p in plan.phases.all()] == [PhaseKind.TREATMENT]


def test_the_instructions_arrive_n_days_before_and_fit_the_offering(
    shared: Case, personas: Personas
) -> None:
    offering = OfferingFactory.create(
        clinic=personas.clinic_a, origin="allogeneic", cell_source="umbilical_cord", route="iv"
    )
    arrival, treatment = _dates()
    plan = treatment_plan_create(
        case=shared,
        clinic=personas.clinic_a,
        offering=offering,
        arrival_date=arrival,
        departure_date=arrival + dt.timedelta(days=3),
        treatment_date=treatment,
        sedation=True,
        instructions_days_before=5,
        acting_user=personas.clinic_a_staff,
    )
    row = Notification.objects.get(kind="consultations.pretreatment")
    assert row.due_at.astimezone(personas.clinic_a.time_zone).date() == treatment - dt.timedelta(
        days=5
    )
    Notification.objects.filter(pk=row.pk).update(due_at=timezone.now())
    outbox_drain()
    (message,) = mail.outbox
    assert message.to == [shared.patient.email]
    for words in ("NSAID", "water", "alcohol", "infusion", "eat nothing"):
        assert words in message.body, words
    assert plan.pk


def test_a_phase_is_booked_as_a_visit_in_the_clinics_calendar(
    shared: Case, personas: Personas, calendars: Calendars
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, origin="allogeneic")
    start = host_time(calendars.clinic_a, 20, 10)
    local_day = start.astimezone(calendars.clinic_a.zone).date()
    plan = treatment_plan_create(
        case=shared,
        clinic=personas.clinic_a,
        offering=offering,
        arrival_date=local_day - dt.timedelta(days=1),
        departure_date=local_day + dt.timedelta(days=2),
        treatment_date=local_day,
        acting_user=personas.clinic_a_staff,
    )
    phase = plan.phases.get()
    booking = treatment_phase_book(
        phase=phase,
        consultation_type=calendars.clinic_a_call,
        start=start,
        acting_user=personas.clinic_a_staff,
    )
    phase.refresh_from_db()
    assert phase.booking == booking and booking.case == shared


def _record(case: Case, personas: Personas, **kw: object) -> TreatmentRecord:
    offering = OfferingFactory.create(clinic=personas.clinic_a, origin="allogeneic")
    values: dict[str, object] = {
        "case": case,
        "clinic": personas.clinic_a,
        "offering": offering,
        "treated_on": timezone.localdate(),
        "route": "joint",
        "site": "right knee",
        "cell_count_millions": Decimal("50"),
        **kw,
    }
    return treatment_record_save(
        record=TreatmentRecord(**values), acting_user=personas.clinic_a_staff
    )


def test_a_record_needs_a_lot_to_complete_and_flags_a_volume_without_a_count(
    shared: Case, personas: Personas
) -> None:
    flagged = _record(shared, personas, cell_count_millions=None, volume_ml=Decimal("3"))
    assert flagged.dose_only_in_ml
    with pytest.raises(ValidationError):
        _record(shared, personas, cell_count_millions=None)  # no dose at all
    with pytest.raises(ValidationError, match="lot"):
        treatment_record_complete(record=flagged, acting_user=personas.clinic_a_staff)
    TreatmentRecord.objects.filter(pk=flagged.pk).update(cell_lot="LOT-2026-118")
    done = treatment_record_complete(record=flagged, acting_user=personas.clinic_a_staff)
    assert done.status == RecordStatus.COMPLETED and done.completed_at is not None


def test_only_the_clinics_own_staff_or_the_concierge_record(
    shared: Case, personas: Personas
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a)
    record = TreatmentRecord(
        case=shared,
        clinic=personas.clinic_a,
        offering=offering,
        treated_on=timezone.localdate(),
        route="joint",
        site="knee",
        cell_count_millions=Decimal("10"),
    )
    with pytest.raises(PermissionDenied):
        treatment_record_save(record=record, acting_user=personas.clinic_b_staff)
    doctor = DoctorFactory.create(clinic=personas.clinic_b)
    record.treating_doctor = doctor
    with pytest.raises(ValidationError, match="doctor of this clinic"):
        treatment_record_save(record=record, acting_user=personas.concierge)


def test_completing_the_treatment_completes_the_plan_and_is_found_by_followups(
    shared: Case, personas: Personas
) -> None:
    offering = OfferingFactory.create(clinic=personas.clinic_a, origin="allogeneic")
    arrival = timezone.localdate() - dt.timedelta(days=1)
    plan = treatment_plan_create(
        case=shared,
        clinic=personas.clinic_a,
        offering=offering,
        arrival_date=arrival,
        departure_date=arrival + dt.timedelta(days=3),
        treatment_date=timezone.localdate(),
        acting_user=personas.clinic_a_staff,
    )
    record = _record(shared, personas, offering=offering, plan=plan, cell_lot="LOT-1")
    treatment_record_complete(record=record, acting_user=personas.clinic_a_staff)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert list(completed_treatments()) == [record]  # what follow-ups start from


def test_a_review_is_verified_only_by_a_completed_treatment_of_that_patient_there(
    shared: Case, personas: Personas
) -> None:
    type(personas.clinic_a).objects.filter(pk=personas.clinic_a.pk).update(
        status=ClinicStatus.VETTED
    )
    personas.clinic_a.refresh_from_db()
    record = _record(shared, personas, cell_lot="LOT-7")
    ref = record.treatment_ref
    # A draft record does not count yet.
    early = review_submit(
        clinic=personas.clinic_a,
        author=personas.bob,
        rating=5,
        body="x",
        author_display_name="Bob",
        acting_user=personas.bob,
        treatment_ref=ref,
    )
    assert early.status == ReviewStatus.AWAITING_VERIFICATION  # Bob was not treated at all
    treatment_record_complete(record=record, acting_user=personas.clinic_a_staff)
    review = review_submit(
        clinic=personas.clinic_a,
        author=personas.alice,
        rating=2,
        body="Slow answers.",
        author_display_name="Alice",
        acting_user=personas.alice,
        treatment_ref=ref,
    )
    assert review.status == ReviewStatus.PUBLISHED and review.treatment_ref == ref
    forged = review_submit(
        clinic=personas.clinic_b,
        author=personas.alice,
        rating=5,
        body="x",
        author_display_name="Alice",
        acting_user=personas.alice,
        treatment_ref=ref,
    )  # Alice was treated at Alfa, not at Beta
    assert forged.status == ReviewStatus.AWAITING_VERIFICATION
