"""Matching: which vetted clinics are proposed for a case, with what score and why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinics.models import CellOrigin, CellSource, ClinicStatus, Legality, OfferingStatus
from core.exceptions import DomainError
from core.models import AuditEvent
from intake.matching import (
    MAX_PROPOSED,
    WEIGHTS,
    CaseNeeds,
    ReasonCode,
    matching_propose,
    reason_display,
    score_clinic_for_case,
)
from intake.models import CaseStatus, Proposal, ProposalStatus
from tests.clinics.factories import LegalityRuleFactory, OfferingFactory, give_badge
from tests.factories import ClinicFactory, ConditionFactory

from .staff_factories import ready_case

pytestmark = pytest.mark.django_db


FULL_BADGE = ("medical_licence", "insurance", "lab_certificate", "cell_quality")


def full_badge(clinic: Any, **kwargs: Any) -> None:
    """Every credential a cultured, own-cell offering relies on, current."""
    give_badge(clinic, kinds=FULL_BADGE, **kwargs)


def reasons_by_code(item: Any) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in item.reasons}


@pytest.fixture
def knee() -> Any:
    return ConditionFactory.create(name="Knee osteoarthritis", slug="knee-osteoarthritis")


@pytest.fixture
def two_clinics(knee: Any) -> dict[str, Any]:
    """Mexico: cheap, Spanish/English, legal, badge.
    Thailand: dear, Thai/English, no legality rule on file, no badge."""
    mexico = ClinicFactory.create(name="Clínica Alfa", country="MX", languages=["es", "en"])
    thailand = ClinicFactory.create(
        name="Beta Cell Center",
        country="TH",
        city="Bangkok",
        time_zone="Asia/Bangkok",
        languages=["th", "en"],
    )
    LegalityRuleFactory.create(country="MX", legality=Legality.ALLOWED)
    full_badge(mexico)
    mx_offering = OfferingFactory.create(
        clinic=mexico,
        conditions=[knee],
        price_min=Decimal("5000"),
        price_max=Decimal("8000"),
    )
    th_offering = OfferingFactory.create(
        clinic=thailand,
        conditions=[knee],
        price_min=Decimal("15000"),
        price_max=Decimal("25000"),
    )
    return {"mx": mexico, "th": thailand, "mx_offering": mx_offering, "th_offering": th_offering}


def test_it_ranks_the_clinic_that_fits_budget_law_and_credentials_first(
    personas: Any, knee: Any, two_clinics: dict[str, Any]
) -> None:
    case = ready_case(
        condition=knee, budget_min_usd=3000, budget_max_usd=10000, countries_accepted=["MX", "TH"]
    )

    proposal = matching_propose(case=case, acting_user=personas.concierge)

    items = list(proposal.items.order_by("position"))
    assert [i.clinic for i in items] == [two_clinics["mx"], two_clinics["th"]]
    assert [i.position for i in items] == [1, 2]
    mx, th = items
    assert mx.score == 100
    assert mx.offering == two_clinics["mx_offering"]
    assert all(r["ok"] for r in mx.reasons)
    th_reasons = reasons_by_code(th)
    assert th_reasons[ReasonCode.BUDGET]["ok"] is False
    assert th_reasons[ReasonCode.LEGAL]["ok"] is False  # no rule on file is never "legal"
    assert th_reasons[ReasonCode.LEGAL]["compliance"] == "unknown"
    assert th_reasons[ReasonCode.CREDENTIALS]["ok"] is False
    assert th_reasons[ReasonCode.LANGUAGE]["ok"] is True  # both speak English
    expected = (
        100
        - WEIGHTS[ReasonCode.BUDGET]
        - WEIGHTS[ReasonCode.LEGAL]
        - WEIGHTS[ReasonCode.CREDENTIALS]
    )
    assert th.score == expected
    assert proposal.status == ProposalStatus.DRAFT
    assert proposal.created_by == personas.concierge


def test_it_leaves_out_clinics_in_countries_the_patient_would_not_travel_to(
    personas: Any, knee: Any, two_clinics: dict[str, Any]
) -> None:
    case = ready_case(condition=knee, countries_accepted=["TH"])

    proposal = matching_propose(case=case, acting_user=personas.concierge)

    assert [i.clinic for i in proposal.items.all()] == [two_clinics["th"]]


def test_any_country_means_every_country(
    personas: Any, knee: Any, two_clinics: dict[str, Any]
) -> None:
    case = ready_case(condition=knee, countries_accepted=[], any_country=True)

    proposal = matching_propose(case=case, acting_user=personas.concierge)

    assert {i.clinic for i in proposal.items.all()} == {two_clinics["mx"], two_clinics["th"]}


def test_it_never_proposes_a_clinic_that_is_not_vetted(personas: Any, knee: Any) -> None:
    for status in (
        ClinicStatus.APPLIED,
        ClinicStatus.UNDER_REVIEW,
        ClinicStatus.SUSPENDED,
        ClinicStatus.REJECTED,
    ):
        clinic = ClinicFactory.create(status=status, country="MX")
        OfferingFactory.create(clinic=clinic, conditions=[knee])
    case = ready_case(condition=knee, countries_accepted=["MX"])

    proposal = matching_propose(case=case, acting_user=personas.concierge)

    assert proposal.items.count() == 0


def test_it_leaves_out_an_offering_the_country_forbids_and_keeps_a_legal_one(
    personas: Any, knee: Any
) -> None:
    """Japan does not allow donor cord cells in clinics: that offering is out, the clinic's
    own-fat offering stays."""
    japan = ClinicFactory.create(name="Tokyo Cell Clinic", country="JP", languages=["ja", "en"])
    LegalityRuleFactory.create(
        country="JP",
        origin=CellOrigin.ALLOGENEIC,
        cell_source=CellSource.UMBILICAL_CORD,
        legality=Legality.NOT_ALLOWED,
    )
    LegalityRuleFactory.create(
        country="JP", origin=CellOrigin.AUTOLOGOUS, legality=Legality.RESTRICTED
    )
    give_badge(
        japan,
        kinds=(
            "medical_licence",
            "insurance",
            "donor_screening",
            "lab_certificate",
            "cell_quality",
        ),
    )
    OfferingFactory.create(
        clinic=japan,
        conditions=[knee],
        title="Cord MSC",
        origin=CellOrigin.ALLOGENEIC,
        cell_source=CellSource.UMBILICAL_CORD,
        price_min=Decimal("4000"),
        price_max=Decimal("6000"),
    )
    own_fat = OfferingFactory.create(
        clinic=japan,
        conditions=[knee],
        title="Own-fat MSC",
        price_min=Decimal("9000"),
        price_max=Decimal("12000"),
    )
    case = ready_case(condition=knee, countries_accepted=["JP"], budget_max_usd=10000)

    proposal = matching_propose(case=case, acting_user=personas.concierge)

    (item,) = proposal.items.all()
    assert item.offering == own_fat
    assert reasons_by_code(item)[ReasonCode.LEGAL]["ok"] is True


def test_a_clinic_whose_only_offering_is_forbidden_is_not_proposed(
    personas: Any, knee: Any
) -> None:
    japan = ClinicFactory.create(country="JP")
    LegalityRuleFactory.create(
        country="JP", origin=CellOrigin.ALLOGENEIC, legality=Legality.NOT_ALLOWED
    )
    OfferingFactory.create(
        clinic=japan,
        conditions=[knee],
        origin=CellOrigin.ALLOGENEIC,
        cell_source=CellSource.UMBILICAL_CORD,
    )
    case = ready_case(condition=knee, countries_accepted=["JP"])

    assert matching_propose(case=case, acting_user=personas.concierge).items.count() == 0


def test_offerings_for_other_conditions_or_not_live_do_not_count(personas: Any, knee: Any) -> None:
    other = ConditionFactory.create(name="Hair loss", slug="hair-loss")
    clinic = ClinicFactory.create(country="MX")
    OfferingFactory.create(clinic=clinic, conditions=[other])
    OfferingFactory.create(clinic=clinic, conditions=[knee], status=OfferingStatus.PENDING)
    OfferingFactory.create(clinic=clinic, conditions=[knee], status=OfferingStatus.WITHDRAWN)
    case = ready_case(condition=knee, countries_accepted=["MX"])

    assert matching_propose(case=case, acting_user=personas.concierge).items.count() == 0


def test_an_expired_credential_costs_the_credentials_reason(personas: Any, knee: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    clinic = ClinicFactory.create(country="MX")
    LegalityRuleFactory.create(country="MX", legality=Legality.ALLOWED)
    full_badge(
        clinic,
        expires_on=timezone.localdate() - dt.timedelta(days=1),
        issued_on=timezone.localdate() - dt.timedelta(days=400),
    )
    OfferingFactory.create(clinic=clinic, conditions=[knee])
    case = ready_case(condition=knee, countries_accepted=["MX"])

    (item,) = matching_propose(case=case, acting_user=personas.concierge).items.all()

    assert reasons_by_code(item)[ReasonCode.CREDENTIALS]["ok"] is False
    assert item.score == 100 - WEIGHTS[ReasonCode.CREDENTIALS]


def test_the_best_few_are_proposed_and_the_patients_own_choice_is_kept(
    personas: Any, knee: Any
) -> None:
    LegalityRuleFactory.create(country="MX", legality=Legality.ALLOWED)
    clinics = []
    for n in range(MAX_PROPOSED + 2):
        clinic = ClinicFactory.create(name=f"Clinic {n:02d}", country="MX")
        full_badge(clinic)
        OfferingFactory.create(clinic=clinic, conditions=[knee])
        clinics.append(clinic)
    # The patient asked about a clinic that scores lower (no badge).
    chosen = ClinicFactory.create(name="Zeta Clinic", country="MX")
    OfferingFactory.create(clinic=chosen, conditions=[knee])
    case = ready_case(condition=knee, countries_accepted=["MX"], preferred_clinic=chosen)

    proposal = matching_propose(case=case, acting_user=personas.concierge)

    proposed = [i.clinic for i in proposal.items.order_by("position")]
    assert proposed[:MAX_PROPOSED] == clinics[:MAX_PROPOSED]
    assert proposed[-1] == chosen
    assert reasons_by_code(proposal.items.get(clinic=chosen))[ReasonCode.PATIENT_CHOICE]["ok"]


def test_a_new_run_supersedes_the_earlier_draft_and_writes_an_audit_row(
    personas: Any, knee: Any, two_clinics: dict[str, Any]
) -> None:
    case = ready_case(condition=knee)
    first = matching_propose(case=case, acting_user=personas.concierge)

    second = matching_propose(case=case, acting_user=personas.concierge)

    first.refresh_from_db()
    assert first.status == ProposalStatus.SUPERSEDED
    assert second.status == ProposalStatus.DRAFT
    event = AuditEvent.objects.filter(action="intake.proposal_created").first()
    assert event is not None
    assert event.data["proposal_id"] == second.pk
    assert event.data["superseded_drafts"] == [first.pk]
    assert set(event.data["clinic_ids"]) == {two_clinics["mx"].pk, two_clinics["th"].pk}


@pytest.mark.parametrize(
    "status", [CaseStatus.NEW, CaseStatus.IN_REVIEW, CaseStatus.CLINICIAN_REVIEW, CaseStatus.CLOSED]
)
def test_it_refuses_a_case_that_is_not_ready_for_clinics(
    personas: Any, knee: Any, status: str
) -> None:
    case = ready_case(condition=knee)
    type(case).objects.filter(pk=case.pk).update(status=status)

    with pytest.raises(DomainError):
        matching_propose(case=case, acting_user=personas.concierge)
    assert not Proposal.objects.filter(case=case).exists()


def test_matching_reads_a_fixed_number_of_queries_however_many_clinics(
    personas: Any, knee: Any, figure: Any
) -> None:
    LegalityRuleFactory.create(country="MX", legality=Legality.ALLOWED)

    def add_clinics(n: int) -> None:
        for _ in range(n):
            clinic = ClinicFactory.create(country="MX")
            full_badge(clinic)
            OfferingFactory.create(clinic=clinic, conditions=[knee])
            OfferingFactory.create(
                clinic=clinic,
                conditions=[knee],
                price_min=Decimal("20000"),
                price_max=Decimal("30000"),
            )

    def count_for(case: Any) -> int:
        with CaptureQueriesContext(connection) as ctx:
            matching_propose(case=case, acting_user=personas.concierge)
        return len(ctx.captured_queries)

    # Warm the content-type cache the audit row uses, as a running server has.
    matching_propose(case=ready_case(condition=knee), acting_user=personas.concierge)
    add_clinics(2)
    few = count_for(ready_case(condition=knee, countries_accepted=["MX"]))
    add_clinics(18)
    many = count_for(ready_case(condition=knee, countries_accepted=["MX"]))

    figure("matching_queries", clinics_2=few, clinics_20=many)
    assert few == many


def test_staff_can_score_a_clinic_they_add_by_hand(
    personas: Any, knee: Any, two_clinics: dict[str, Any]
) -> None:
    case = ready_case(condition=knee, countries_accepted=["MX"])

    match = score_clinic_for_case(case=case, clinic=two_clinics["th"])

    assert match.offering == two_clinics["th_offering"]
    codes = {r.code: r.ok for r in match.reasons}
    assert codes[ReasonCode.COUNTRY] is False
    assert codes[ReasonCode.TREATS_CONDITION] is True


def test_case_needs_reads_languages_countries_and_budget(knee: Any) -> None:
    case = ready_case(
        condition=knee, countries_accepted=["mx"], budget_min_usd=None, budget_max_usd=5000
    )
    needs = CaseNeeds.of(case)
    assert needs.countries == frozenset({"MX"})
    assert needs.languages == frozenset({"en", "es"})
    assert needs.budget_max == 5000


def test_reasons_render_in_words_for_the_viewer() -> None:
    assert reason_display({"code": "budget", "ok": False, "detail": "USD 9,000 - 12,000"}) == (
        "Price range is outside the budget (USD 9,000 - 12,000)"
    )
    assert reason_display({"code": "legal", "ok": False, "compliance": "conflict"}).startswith(
        "Conflicts"
    )
