"""Matching: which vetted clinics to propose for a case, each with a score and reasons.

A clinic is a *candidate* only when all of these hold (hard requirements):
- the clinic is vetted (nothing else is ever proposed, automatically or by hand);
- it has a live offering that treats the patient's condition;
- that offering does not conflict with the legality table of the clinic's country;
- the clinic is in a country the patient accepts (or they accept any country).

Candidates are then scored out of 100 (``WEIGHTS``) on what makes one better
than another: the rules above, the offering's price range against the budget,
a shared language, and whether the verified credentials the offering relies on
are current. Every reason is stored with the proposal, so staff and the
patient see *why* a clinic is there. The best offering of each clinic counts.

Matching reads a fixed number of queries however many clinics there are: one
query for every candidate offering (clinic joined, legality and credential
state annotated as subqueries), nothing per clinic.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic, ClinicStatus, Compliance, Offering, OfferingStatus
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User

from .models import Case, CaseStatus, Proposal, ProposalStatus, ProposedClinic

logger = logging.getLogger(__name__)

# How many clinics an automatic proposal holds; staff may add more by hand.
MAX_PROPOSED = 5
# Matching runs only once triage says clinics may look at the case.
MATCHABLE_STATUSES: frozenset[str] = frozenset({CaseStatus.READY_FOR_CLINIC, CaseStatus.MATCHED})


class ReasonCode(models.TextChoices):
    TREATS_CONDITION = "treats_condition", _("Treats the condition")
    COUNTRY = "country", _("In a country the patient accepts")
    LEGAL = "legal", _("Legal in its country for this cell type")
    BUDGET = "budget", _("Price range overlaps the budget")
    LANGUAGE = "language", _("Speaks the patient's language")
    CREDENTIALS = "credentials", _("Verified credentials are current")
    PATIENT_CHOICE = "patient_choice", _("The patient asked about this clinic")


# Label when a reason does NOT hold; the ``ReasonCode`` label is used when it does.
NOT_OK_LABELS: dict[str, Promise] = {
    ReasonCode.TREATS_CONDITION: _("No live offering for this condition"),
    ReasonCode.COUNTRY: _("Not in a country the patient accepts"),
    ReasonCode.LEGAL: _("No legality rule on file for this cell type in its country"),
    ReasonCode.BUDGET: _("Price range is outside the budget"),
    ReasonCode.LANGUAGE: _("No language in common"),
    ReasonCode.CREDENTIALS: _("A credential the offering relies on is missing or expired"),
}
# Conflict is worse than "unknown": say so in words.
LEGAL_CONFLICT_LABEL: Promise = _("Conflicts with its country's rules for this cell type")

WEIGHTS: dict[str, int] = {
    ReasonCode.TREATS_CONDITION: 25,
    ReasonCode.COUNTRY: 15,
    ReasonCode.LEGAL: 20,
    ReasonCode.BUDGET: 20,
    ReasonCode.LANGUAGE: 10,
    ReasonCode.CREDENTIALS: 10,
}
assert sum(WEIGHTS.values()) == 100


def reason_label(code: str, ok: bool, *, legal_conflict: bool = False) -> str:
    """The reason in the viewer's language (stored labels are in the author's)."""
    if code == ReasonCode.LEGAL and legal_conflict:
        return str(LEGAL_CONFLICT_LABEL)
    if not ok and code in NOT_OK_LABELS:
        return str(NOT_OK_LABELS[code])
    try:
        return str(ReasonCode(code).label)
    except ValueError:
        return code


def reason_display(reason: dict[str, Any]) -> str:
    """Re-render one stored reason (``{"code", "ok", "detail"...}``) for the current language."""
    label = reason_label(
        str(reason.get("code", "")),
        bool(reason.get("ok")),
        legal_conflict=reason.get("compliance") == Compliance.CONFLICT,
    )
    detail = reason.get("detail")
    rate_on = reason.get("rate_on")
    if detail and rate_on:  # stored language-neutral (ISO day), worded in the reader's language
        detail = gettext("about %(price)s, rate of %(date)s") % {
            "price": detail,
            "date": date_format(dt.date.fromisoformat(rate_on), "DATE_FORMAT"),
        }
    return f"{label} ({detail})" if detail else label


@dataclass(frozen=True)
class Reason:
    code: str
    ok: bool
    detail: str = ""
    compliance: str = ""
    rate_on: str = ""  # ISO day of the exchange rate behind a converted price

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "ok": self.ok,
            "label": reason_label(
                self.code, self.ok, legal_conflict=self.compliance == Compliance.CONFLICT
            ),
        }
        if self.detail:
            data["detail"] = self.detail
        if self.compliance:
            data["compliance"] = self.compliance
        if self.rate_on:
            data["rate_on"] = self.rate_on
        return data


@dataclass(frozen=True)
class CaseNeeds:
    """What matching reads from a case, extracted once."""

    condition_id: int | None
    countries: frozenset[str] | None  # None: any country
    budget_min: int | None
    budget_max: int | None
    languages: frozenset[str]
    preferred_clinic_id: int | None

    @classmethod
    def of(cls, case: Case) -> CaseNeeds:
        patient = case.patient
        languages = {str(code).lower()[:8] for code in (patient.spoken_languages or [])}
        if patient.language:
            languages.add(str(patient.language).lower())
        countries = (
            None
            if case.any_country
            else frozenset(str(code).upper() for code in (case.countries_accepted or []))
        )
        return cls(
            condition_id=case.condition_id,
            countries=countries,
            budget_min=case.budget_min_usd,
            budget_max=case.budget_max_usd,
            languages=frozenset(languages),
            preferred_clinic_id=case.preferred_clinic_id,
        )


@dataclass
class ClinicMatch:
    clinic: Clinic
    offering: Offering | None
    score: int
    reasons: list[Reason] = field(default_factory=list)
    eligible: bool = False

    def reasons_json(self) -> list[dict[str, Any]]:
        return [r.as_json() for r in self.reasons]


def _usd(amount: Decimal | int | None) -> str:
    return "" if amount is None else f"USD {Decimal(amount):,.0f}"


def budget_overlaps(needs: CaseNeeds, price_min: Decimal, price_max: Decimal) -> bool:
    """True when [price_min, price_max] meets the budget; no budget given meets everything."""
    if needs.budget_max is not None and price_min > needs.budget_max:
        return False
    return not (needs.budget_min is not None and price_max < needs.budget_min)


def score_offering(needs: CaseNeeds, clinic: Clinic, offering: Offering | None) -> ClinicMatch:
    """Score one clinic through one of its offerings (None: the clinic has none that fits).

    Pure: reads only the objects given (the offering must carry the
    ``compliance`` and ``has_verified_badge`` annotations), so it runs no query.
    """
    reasons: list[Reason] = []
    treats = (
        offering is not None
        and offering.status == OfferingStatus.LIVE
        and needs.condition_id is not None
        and getattr(offering, "treats_condition", True)
    )
    reasons.append(
        Reason(
            ReasonCode.TREATS_CONDITION,
            bool(treats),
            detail=offering.title if offering is not None else "",
        )
    )
    country = str(clinic.country.code if hasattr(clinic.country, "code") else clinic.country)
    in_country = needs.countries is None or country in needs.countries
    reasons.append(Reason(ReasonCode.COUNTRY, in_country, detail=country))
    compliance = getattr(offering, "compliance", Compliance.UNKNOWN) if offering else ""
    reasons.append(
        Reason(
            ReasonCode.LEGAL,
            compliance == Compliance.COMPLIANT,
            detail=offering.get_cell_type_display() if offering is not None else "",
            compliance=str(compliance or Compliance.UNKNOWN),
        )
    )
    if offering is not None:
        in_budget = budget_overlaps(needs, offering.price_min_usd, offering.price_max_usd)
        price = f"{_usd(offering.price_min_usd)} - {_usd(offering.price_max_usd)}"
        # A converted price carries its rate's day, shown as "about ..., rate of <date>".
        rate_on = offering.price_usd_rate_on if offering.price_currency != "USD" else None
    else:
        in_budget, price, rate_on = False, "", None
    reasons.append(
        Reason(
            ReasonCode.BUDGET,
            in_budget,
            detail=price,
            rate_on=rate_on.isoformat() if rate_on else "",
        )
    )
    clinic_languages = {str(code).lower() for code in (clinic.languages or [])}
    shared = sorted(clinic_languages & needs.languages)
    reasons.append(Reason(ReasonCode.LANGUAGE, bool(shared), detail=", ".join(shared)))
    badge = bool(getattr(offering, "has_verified_badge", False)) if offering else False
    reasons.append(Reason(ReasonCode.CREDENTIALS, badge))
    if needs.preferred_clinic_id is not None and clinic.pk == needs.preferred_clinic_id:
        reasons.append(Reason(ReasonCode.PATIENT_CHOICE, True))

    score = sum(WEIGHTS.get(r.code, 0) for r in reasons if r.ok)
    eligible = (
        clinic.status == ClinicStatus.VETTED
        and bool(treats)
        and in_country
        and compliance != Compliance.CONFLICT
    )
    return ClinicMatch(
        clinic=clinic, offering=offering, score=score, reasons=reasons, eligible=eligible
    )


def best_match(needs: CaseNeeds, clinic: Clinic, offerings: Iterable[Offering]) -> ClinicMatch:
    """The clinic's best offering for this case: eligible first, then the highest score."""
    matches = [score_offering(needs, clinic, o) for o in offerings]
    if not matches:
        return score_offering(needs, clinic, None)
    return max(matches, key=lambda m: (m.eligible, m.score, -(m.offering.pk if m.offering else 0)))


def candidate_offerings(needs: CaseNeeds) -> QuerySet[Offering]:
    """Every live offering of a vetted clinic treating the condition, in accepted countries.

    One query: the clinic is joined, legality and credential badges are
    subqueries (clinics.querysets), so nothing runs per clinic or offering.
    """
    if needs.condition_id is None:
        return Offering.objects.none()
    qs = (
        Offering.objects.live()
        .filter(clinic__status=ClinicStatus.VETTED, conditions=needs.condition_id)
        .select_related("clinic")
        .with_compliance()
        .with_badge()
    )
    if needs.countries is not None:
        qs = qs.filter(clinic__country__in=sorted(needs.countries))
    return qs.order_by("clinic_id", "pk")


def rank_clinics(needs: CaseNeeds, offerings: Iterable[Offering]) -> list[ClinicMatch]:
    """Group offerings by clinic, keep each clinic's best, eligible only, best first."""
    by_clinic: dict[int, tuple[Clinic, list[Offering]]] = {}
    for offering in offerings:
        clinic = offering.clinic
        by_clinic.setdefault(clinic.pk, (clinic, []))[1].append(offering)
    matches = [best_match(needs, clinic, items) for clinic, items in by_clinic.values()]
    eligible = [m for m in matches if m.eligible]
    # Ties: the patient's own choice first, then by name for a stable order.
    eligible.sort(
        key=lambda m: (
            -m.score,
            m.clinic.pk != needs.preferred_clinic_id,
            m.clinic.name.lower(),
            m.clinic.pk,
        )
    )
    return eligible


def select_proposal_matches(needs: CaseNeeds, ranked: list[ClinicMatch]) -> list[ClinicMatch]:
    """The top MAX_PROPOSED, keeping the patient's own choice when it is eligible."""
    chosen = ranked[:MAX_PROPOSED]
    preferred = next(
        (m for m in ranked[MAX_PROPOSED:] if m.clinic.pk == needs.preferred_clinic_id), None
    )
    if preferred is not None:
        chosen.append(preferred)
    return chosen


def score_clinic_for_case(*, case: Case, clinic: Clinic) -> ClinicMatch:
    """Score one clinic (a staff addition); same rules, its offerings for the condition."""
    needs = CaseNeeds.of(case)
    offerings = (
        list(
            Offering.objects.filter(clinic=clinic, status=OfferingStatus.LIVE)
            .annotate(
                treats_condition=models.Exists(
                    Offering.conditions.through.objects.filter(
                        offering_id=models.OuterRef("pk"), condition_id=needs.condition_id
                    )
                )
            )
            .filter(treats_condition=True)
            .with_compliance()
            .with_badge()
        )
        if needs.condition_id is not None
        else []
    )
    for offering in offerings:
        offering.clinic = clinic
    return best_match(needs, clinic, offerings)


@transaction.atomic(durable=True)
def matching_propose(
    *, case: Case, acting_user: User | None, request: HttpRequest | None = None
) -> Proposal:
    """Create a draft proposal of the best vetted clinics for ``case``.

    Earlier drafts of the case are superseded; a sent proposal stays as it is
    until a new one is sent. Audits ``intake.proposal_created``. Raises
    DomainError unless the case is ready for clinics (or already matched).
    """
    locked = Case.objects.select_for_update(of=("self",)).select_related("patient").get(pk=case.pk)
    if locked.status not in MATCHABLE_STATUSES:
        raise DomainError(
            _("Clinics are proposed once a case is ready for clinics (it is %(status)s).")
            % {"status": locked.get_status_display()},
            code="not_ready",
        )
    needs = CaseNeeds.of(locked)
    chosen = select_proposal_matches(needs, rank_clinics(needs, candidate_offerings(needs)))

    superseded = list(
        Proposal.objects.filter(case=locked, status=ProposalStatus.DRAFT).values_list(
            "pk", flat=True
        )
    )
    if superseded:
        # A draft nobody sent has no history worth a row per change; the audit keeps the ids.
        Proposal.objects.filter(pk__in=superseded).update(status=ProposalStatus.SUPERSEDED)

    proposal = Proposal(
        case=locked, status=ProposalStatus.DRAFT, created_by=acting_user, created_at=timezone.now()
    )
    proposal.full_clean()
    proposal.save()
    items = [
        ProposedClinic(
            proposal=proposal,
            clinic=m.clinic,
            offering=m.offering,
            position=index,
            score=min(max(m.score, 0), 100),
            reasons=m.reasons_json(),
        )
        for index, m in enumerate(chosen, start=1)
    ]
    for item in items:
        # Field validation only: the foreign keys were just read and the unique
        # and check constraints hold by construction (one row per clinic, score
        # clamped) and in the database; validating them here would cost queries
        # per clinic, and matching must stay a fixed number of queries.
        item.full_clean(
            exclude=["proposal", "clinic", "offering"],
            validate_unique=False,
            validate_constraints=False,
        )
    ProposedClinic.objects.bulk_create(items)
    audit_event_record(
        action="intake.proposal_created",
        acting_user=acting_user,
        target=locked,
        request=request,
        data={
            "reference": locked.reference,
            "proposal_id": proposal.pk,
            "clinic_ids": [m.clinic.pk for m in chosen],
            "scores": [m.score for m in chosen],
            "superseded_drafts": superseded,
        },
    )
    return proposal
