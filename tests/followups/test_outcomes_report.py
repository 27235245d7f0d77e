"""Outcomes from real check-ins: the hand-worked cohort, n >= 5 to publish, constant queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from followups.models import AdverseEvent, CheckInStatus
from followups.outcomes_report import outcome_rows, public_outcome_rows
from followups.services import checkin_page_save, checkin_submit
from tests.clinics.factories import OfferingFactory
from tests.factories import ConditionFactory

from .factories import scheduled
from .test_outcomes import hand_worked_cohort

pytestmark = pytest.mark.django_db


def treat_cohort(clinic: Any, cohort: list[Any]) -> None:
    """Each patient treated 100 days ago (3 months reached), answering as the cohort says."""
    condition = ConditionFactory.create(name="Knee osteoarthritis")
    offering = OfferingFactory.create(clinic=clinic, title="Knee MSC", conditions=[condition])
    for patient in cohort:
        schedule = scheduled(
            clinic,
            offering=offering,
            severity=patient.baseline_pain,
            condition=condition,
            treated_on=timezone.localdate() - dt.timedelta(days=100),
        )
        m3 = schedule.check_ins.get(time_point="m3")
        if patient.answered:
            checkin_page_save(
                check_in=m3,
                page=1,
                values={
                    "pain_now": patient.pain_now,
                    "pgic": patient.pgic or 4,
                    "function_limit": 3,
                },
            )
            checkin_submit(check_in=m3)


def test_the_report_matches_the_hand_worked_cohort(personas: Any) -> None:
    treat_cohort(personas.clinic_a, hand_worked_cohort())
    m3 = [r for r in outcome_rows() if r.time_point == "m3"]
    assert len(m3) == 1
    s = m3[0].summary
    assert (s.n_treated, s.n_answered, s.n_improved) == (8, 6, 4)
    assert (s.improved_lower_bound, s.improved_among_responders) == (Decimal(50), Decimal(67))
    # Earlier time points were reached too, but nobody answered them: all count, none improved.
    d2 = next(r for r in outcome_rows() if r.time_point == "d2")
    assert (d2.summary.n_treated, d2.summary.n_improved) == (8, 0)


def test_a_clinic_with_four_patients_shows_no_figures_publicly(
    client: Client, personas: Any
) -> None:
    treat_cohort(personas.clinic_a, hand_worked_cohort()[:4])
    assert outcome_rows(clinic_id=personas.clinic_a.pk)  # staff see them, for any n
    assert public_outcome_rows(clinic_id=personas.clinic_a.pk) == []
    body = client.get(f"/clinics/{personas.clinic_a.slug}/").content.decode()
    assert "Not enough patients have reached a check-in yet" in body
    assert "Improved, of all treated" not in body


def test_a_clinic_with_eight_patients_publishes_its_card_with_a_text_alternative(
    client: Client, personas: Any
) -> None:
    treat_cohort(personas.clinic_a, hand_worked_cohort())
    body = client.get(f"/clinics/{personas.clinic_a.slug}/").content.decode()
    assert 'role="img"' in body and "<desc" in body
    assert "50% improved of 8 treated" in body and "67% of 6 who answered" in body
    assert "Improved, of all treated" in body
    assert personas.clinic_b.name not in body.split("What patients reported")[1][:2000]


def test_adverse_events_are_counted_by_grade_on_the_card(personas: Any) -> None:
    treat_cohort(personas.clinic_a, hand_worked_cohort())
    answered = AdverseEvent.objects.none()
    assert not answered.exists()
    from followups.models import CheckIn

    check_in = CheckIn.objects.filter(status=CheckInStatus.ANSWERED).first()
    assert check_in is not None
    AdverseEvent.objects.create(
        check_in=check_in,
        schedule=check_in.schedule,
        clinic=personas.clinic_a,
        reasons=["fever_over_48h"],
        status="graded",
        ctcae_grade=2,
        relatedness="possible",
        action_taken="Antibiotics",
        outcome="recovered",
        graded_at=timezone.now(),
        clinic_rating_due_at=timezone.now() - dt.timedelta(days=1),
    )
    row = next(r for r in outcome_rows() if r.time_point == "m3")
    assert row.summary.adverse_events_by_grade == {2: 1}
    assert row.summary.relatedness_unanswered == 1


def test_the_report_costs_two_queries_at_any_size(
    personas: Any, django_assert_num_queries: Any
) -> None:
    treat_cohort(personas.clinic_a, hand_worked_cohort())
    with django_assert_num_queries(2):
        outcome_rows()
