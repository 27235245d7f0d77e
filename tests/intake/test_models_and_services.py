"""Invariants (constraints, clean, transitions) and the services that enforce the rules."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import cast

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.exceptions import DomainError
from core.models import AuditEvent
from intake.models import AccessToken, Case, CaseStatus, ClinicShare, DocumentType, TokenPurpose
from intake.models.case import REFERENCE_RE, new_case_reference
from intake.services import (
    access_token_issue,
    case_assign_owner,
    case_transition,
    case_triage_compute,
    clinic_share_grant,
)
from intake.triage import FLAGS, HARD_FLAGS, FlagSeverity, describe
from tests.conftest import Personas
from tests.db import constraint_pattern

from .factories import CaseFactory, make_case, make_document, make_draft

pytestmark = pytest.mark.django_db


def test_references_are_random_readable_and_unambiguous() -> None:
    refs = {new_case_reference() for _ in range(2000)}
    assert len(refs) == 2000
    assert all(re.match(REFERENCE_RE, r) for r in refs)
    assert not set("".join(r[3:] for r in refs)) & set("01OIL5S8B2Z")


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("severity", 11, "intake_case_severity_range"),
        ("budget_min_usd", 20000, "intake_case_budget_min_lte_max"),
        ("status", "bogus", "intake_case_status_valid"),
        ("reference", "SC-0000-OOOO", "intake_case_reference_format"),
        ("submitted_at", None, "intake_case_submitted_has_time"),
    ],
)
def test_the_database_refuses_broken_cases(field: str, value: object, constraint: str) -> None:
    case = make_case()
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(**{field: value})


def test_clean_refuses_a_bad_budget_and_severity() -> None:
    case = cast(Case, CaseFactory.build(severity=12, budget_min_usd=5, budget_max_usd=1))
    with pytest.raises(ValidationError) as err:
        case.clean()
    assert {"severity", "budget_max_usd"} <= set(err.value.message_dict)


def test_a_case_without_imaging_or_records_cannot_be_ready_for_clinic(personas: Personas) -> None:
    case = make_case(status=CaseStatus.IN_REVIEW)
    make_document(case=case, doc_type=DocumentType.OTHER)
    with pytest.raises(DomainError) as err:
        case_transition(
            case=case, to_status=CaseStatus.READY_FOR_CLINIC, acting_user=personas.concierge
        )
    assert err.value.code == "no_documents"
    case.status = CaseStatus.READY_FOR_CLINIC
    with pytest.raises(ValidationError):
        case.full_clean()  # the model says no too (admin, shell)
    make_document(case=case, doc_type=DocumentType.XRAY)
    moved = case_transition(
        case=Case.objects.get(pk=case.pk),
        to_status=CaseStatus.READY_FOR_CLINIC,
        acting_user=personas.concierge,
    )
    assert moved.status == CaseStatus.READY_FOR_CLINIC
    event = AuditEvent.objects.filter(action="case.status_changed").latest("id")
    assert event.data["from"] == "in_review" and event.data["to"] == "ready_for_clinic"
    assert moved.history.count() >= 2


def test_the_transition_table_refuses_jumps(personas: Personas) -> None:
    case = make_case(status=CaseStatus.NEW)
    with pytest.raises(DomainError):
        case_transition(case=case, to_status=CaseStatus.MATCHED, acting_user=personas.concierge)
    for status in (
        CaseStatus.NEW,
        CaseStatus.IN_REVIEW,
        CaseStatus.CLINICIAN_REVIEW,
        CaseStatus.READY_FOR_CLINIC,
        CaseStatus.MATCHED,
        CaseStatus.DRAFT,
    ):
        assert CaseStatus.WITHDRAWN in Case.TRANSITIONS[status]
    assert Case.TRANSITIONS[CaseStatus.CLOSED] == frozenset()
    assert Case.TRANSITIONS[CaseStatus.WITHDRAWN] == frozenset()


def test_only_staff_can_own_a_case(personas: Personas) -> None:
    case = make_case()
    with pytest.raises(DomainError):
        case_assign_owner(case=case, owner=personas.clinic_a_staff, acting_user=personas.concierge)
    assert (
        case_assign_owner(case=case, owner=personas.concierge, acting_user=personas.concierge).owner
        == personas.concierge
    )
    with pytest.raises(DomainError):
        case_assign_owner(
            case=make_draft(), owner=personas.concierge, acting_user=personas.concierge
        )


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"active_infection": True}, {"active_infection"}),
        ({"cancer": "current", "cancer_which": "Breast", "cancer_year": 2025}, {"cancer_active"}),
        ({"cancer": "past", "cancer_which": "Skin", "cancer_year": 2023}, {"cancer_recent"}),
        ({"cancer": "past", "cancer_which": "Skin", "cancer_year": 2001}, {"cancer_past"}),
        ({"immune_compromise": "severe"}, {"immune_severe"}),
        ({"immune_compromise": "mild"}, {"immune_mild"}),
        ({"pregnant": True}, {"pregnancy"}),
        ({"bleeding_disorder": True}, {"bleeding_disorder"}),
        ({"takes_anticoagulants": True}, {"anticoagulants"}),
        ({"takes_immunosuppressants": True}, {"immunosuppressants"}),
        ({"takes_nsaids": True}, {"nsaids"}),
        ({"smoking": "current"}, {"smoking"}),
        ({"alcohol": "heavy"}, {"alcohol_heavy"}),
        ({"duration": "gt10y"}, {"long_standing"}),
        (
            {"had_cell_therapy": True, "cell_therapy_adverse": True},
            {"previous_treatment", "previous_adverse"},
        ),
        ({"diagnosis_confirmed": False}, {"diagnosis_unconfirmed"}),
        ({"elsewhere_clinic_name": "Stem Spa"}, {"clinic_check"}),
    ],
)
def test_each_answer_raises_its_flag(answers: dict[str, object], expected: set[str]) -> None:
    case = make_case(**answers)
    make_document(case=case, doc_type=DocumentType.MRI)
    make_document(case=case, doc_type=DocumentType.LAB)
    flags = set(case_triage_compute(case))
    assert flags == expected
    assert bool(flags & HARD_FLAGS) == bool(expected & HARD_FLAGS)


def test_missing_documents_are_flagged() -> None:
    case = make_case(records_later=True)
    assert {"no_imaging", "no_records", "records_later"} <= set(case_triage_compute(case))
    make_document(case=case, doc_type=DocumentType.CT)
    assert "no_imaging" not in case_triage_compute(case)


def _offering(clinic, condition, *, cells: str | None, ml: str | None):  # type: ignore[no-untyped-def]
    from clinics.models import Offering

    offering = Offering.objects.create(
        clinic=clinic,
        title="Knee injection",
        cell_type="msc",
        cell_source="adipose",
        origin="autologous",
        manipulation="minimal" if cells is None else "cultured",
        cell_count_millions=Decimal(cells) if cells else None,
        volume_ml=Decimal(ml) if ml else None,
        route="joint",
        price_min=Decimal("3000"),
        price_max=Decimal("5000"),
        price_min_usd=Decimal("3000"),
        price_max_usd=Decimal("5000"),
        status="live",
    )
    offering.conditions.add(condition)
    return offering


def test_interest_in_a_clinic_offering_only_ml_doses_is_flagged(personas: Personas, knee) -> None:  # type: ignore[no-untyped-def]
    case = make_case(condition=knee, preferred_clinic=personas.clinic_a)
    assert "ml_only_interest" not in case_triage_compute(case)  # no offerings at all
    _offering(personas.clinic_a, knee, cells=None, ml="4")
    assert "ml_only_interest" in case_triage_compute(case)
    _offering(personas.clinic_a, knee, cells="50", ml=None)
    assert "ml_only_interest" not in case_triage_compute(case)


def test_flag_vocabulary_has_labels_and_severity() -> None:
    assert FLAGS["active_infection"].severity == FlagSeverity.HARD
    assert FLAGS["pregnancy"].severity == FlagSeverity.CAUTION
    assert FLAGS["no_imaging"].severity == FlagSeverity.INFO
    ordered = describe(["no_imaging", "pregnancy", "active_infection", "unknown-code"])
    assert [f.code for f in ordered] == ["active_infection", "pregnancy", "no_imaging"]


def test_tokens_are_stored_only_as_hashes() -> None:
    case = make_case()
    raw = access_token_issue(case=case, purpose=TokenPurpose.CASE, acting_user=None)
    token = AccessToken.objects.get()
    assert len(raw) >= 43 and raw not in token.token_hash
    assert AccessToken.objects.filter(token_hash__contains=raw[:10]).count() == 0
    event = AuditEvent.objects.get(action="intake.link_issued")
    assert raw not in str(event.data)


def test_sharing_needs_the_patients_consent(personas: Personas) -> None:
    case = make_case(preferred_clinic=personas.clinic_a, consent=False)
    with pytest.raises(DomainError):
        clinic_share_grant(case=case, clinic=personas.clinic_a)
    assert not ClinicShare.objects.exists()


def test_one_active_share_per_clinic_is_a_database_rule(personas: Personas) -> None:
    case = make_case()
    ClinicShare.objects.create(case=case, clinic=personas.clinic_a)
    with (
        pytest.raises(
            IntegrityError, match=constraint_pattern("intake_clinicshare_one_active_per_clinic")
        ),
        transaction.atomic(),
    ):
        ClinicShare.objects.create(case=case, clinic=personas.clinic_a)


def test_a_suspended_clinic_cannot_be_shared_with(personas: Personas) -> None:
    case = make_case(preferred_clinic=personas.clinic_a)
    personas.clinic_a.status = "suspended"
    personas.clinic_a.save()
    with pytest.raises(DomainError):
        clinic_share_grant(case=case, clinic=personas.clinic_a)
