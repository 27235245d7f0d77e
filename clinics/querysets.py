"""Chainable filters and the public directory's ranking rule.

Models are imported lazily inside methods: the models import these classes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from core.models import User

# --- The public ranking rule -------------------------------------------------
# Nothing here can be bought: there is no paid placement, no "featured" flag, no
# field a clinic can set. Ranking reads only what staff verified and what
# patients who were treated there said. A clinic cannot edit any input below:
# credentials are verified by staff, reviews come from treated patients.
RATING_PRIOR_MEAN = 3.5
RATING_PRIOR_WEIGHT = 5

DIRECTORY_RANKING: tuple[Any, ...] = (
    _(
        "Clinics whose required credentials (licence, insurance) are all verified and in date "
        "come first."
    ),
    # format_lazy keeps the sentence translatable: it is formatted per request, in the
    # visitor's language, not once at import time in English.
    format_lazy(
        _(
            "Then by patient rating, adjusted for how many reviews there are: every clinic starts "
            "as if it had {weight} reviews averaging {mean} stars, so one five-star review does "
            "not outrank forty good ones."
        ),
        weight=RATING_PRIOR_WEIGHT,
        mean=RATING_PRIOR_MEAN,
    ),
    _("Then by the number of published reviews, good and bad alike."),
    _("Then by how recently our staff verified one of the clinic's credentials."),
    _("Ties are broken alphabetically by name."),
)
DIRECTORY_RANKING_SUMMARY = _(
    "No clinic can pay to be listed or to rank higher. The order depends only on our staff's "
    "verification and on reviews from patients who were treated there."
)
# The ORDER BY that implements DIRECTORY_RANKING (needs with_directory_stats()).
DIRECTORY_ORDER_BY: tuple[Any, ...] = (
    F("has_verified_badge").desc(),
    F("ranking_score").desc(),
    F("review_count").desc(),
    F("latest_verification_at").desc(nulls_last=True),
    "name",
    "pk",
)


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def _current_credential_q(on: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": "verified"}) & (
        Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gte": on})
    )


def _has_current(kinds: Iterable[str], clinic_ref: Any, on: dt.date) -> Q:
    """A Q that is true when the clinic holds a current credential of EVERY kind."""
    from .models import Credential

    q = Q()
    for kind in sorted(kinds):
        q &= Q(
            Exists(
                Credential.objects.filter(_current_credential_q(on), clinic=clinic_ref, kind=kind)
            )
        )
    return q


def current_kinds(credentials: Iterable[Any]) -> frozenset[str]:
    """The kinds among ``credentials`` (already filtered to current ones, see
    ``CredentialQuerySet.current``): what ``_has_current`` asks the database."""
    return frozenset(str(c.kind) for c in credentials)


def offering_badge_in_python(offering: Any, kinds: frozenset[str]) -> bool:
    """``OfferingQuerySet.with_badge`` for an offering whose clinic's current credential
    kinds are already loaded (the public pages prefetch them anyway): the same rule
    without five EXISTS subqueries per offering. Tests check both agree."""
    from .models import ALLOGENEIC_BADGE_KINDS, CLINIC_BADGE_KINDS, CULTURED_BADGE_KINDS

    return (
        kinds >= CLINIC_BADGE_KINDS
        and (offering.manipulation == "minimal" or kinds >= CULTURED_BADGE_KINDS)
        and (offering.origin == "autologous" or kinds >= ALLOGENEIC_BADGE_KINDS)
    )


def drop_renewed(credentials: Iterable[Any]) -> list[Any]:
    """``CredentialQuerySet.not_renewed`` over credentials already loaded, order kept.

    Exact when the input holds every CURRENT credential of the clinic: a credential
    that replaces a current one (same kind, no expiry or a later one) is itself current.
    Mirrors SQL NULL logic: against a credential without expiry only one without
    expiry counts as newer.
    """
    rows = list(credentials)
    by_kind: dict[tuple[Any, str], list[Any]] = {}
    for cred in rows:
        by_kind.setdefault((cred.clinic_id, cred.kind), []).append(cred)

    def renewed(cred: Any) -> bool:
        return any(
            other.pk != cred.pk
            and other.status == "verified"
            and (
                other.expires_on is None
                or (cred.expires_on is not None and other.expires_on > cred.expires_on)
            )
            for other in by_kind[(cred.clinic_id, cred.kind)]
        )

    return [cred for cred in rows if not renewed(cred)]


class ClinicQuerySet(models.QuerySet):
    def public(self) -> ClinicQuerySet:
        """Only vetted clinics are ever public."""
        return self.filter(status="vetted")

    def managed_by(self, user: User) -> ClinicQuerySet:
        """The clinics a clinic-staff user belongs to (the portal's scope)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(memberships__user=user)

    def in_review_queue(self) -> ClinicQuerySet:
        return self.filter(review_requested_at__isnull=False)

    def with_badge(self, on: dt.date | None = None) -> ClinicQuerySet:
        """``has_verified_badge``: every CLINIC_BADGE_KINDS credential is current."""
        from .models import CLINIC_BADGE_KINDS

        return self.annotate(
            has_verified_badge=Case(
                When(_has_current(CLINIC_BADGE_KINDS, OuterRef("pk"), _today(on)), then=True),
                default=False,
                output_field=models.BooleanField(),
            )
        )

    def with_directory_stats(self, on: dt.date | None = None) -> ClinicQuerySet:
        """Annotate what the directory shows and ranks by, in the same single query.

        review_count, rating_avg (published reviews only), ranking_score (the
        adjusted rating), verified_credential_count (current credentials),
        latest_verification_at, has_verified_badge, live_offering_count,
        price_from_usd (the cheapest live offering) and price_from_rate_on (its rate's day).
        """
        return self.with_ranking_stats(on, counts=True)

    def with_ranking_stats(
        self, on: dt.date | None = None, *, counts: bool = False
    ) -> ClinicQuerySet:
        """``with_directory_stats`` without the two counts the public pages never show
        (``verified_credential_count``, ``live_offering_count``) unless ``counts``."""
        from .models import Credential, Offering, Review

        day = _today(on)
        published = Review.objects.filter(clinic=OuterRef("pk"), status="published").order_by()
        review_count = Subquery(
            published.values("clinic").annotate(n=Count("pk")).values("n"),
            output_field=models.IntegerField(),
        )
        rating_sum = Subquery(
            published.values("clinic").annotate(s=Sum("rating")).values("s"),
            output_field=models.IntegerField(),
        )
        verified = Credential.objects.filter(clinic=OuterRef("pk"), status="verified").order_by()
        current_count = Subquery(
            verified.filter(_current_credential_q(day))
            .values("clinic")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=models.IntegerField(),
        )
        latest_verification = Subquery(
            verified.values("clinic").annotate(m=Max("verified_at")).values("m"),
            output_field=models.DateTimeField(),
        )
        live = Offering.objects.filter(clinic=OuterRef("pk"), status="live").order_by()
        live_count = Subquery(
            live.values("clinic").annotate(n=Count("pk")).values("n"),
            output_field=models.IntegerField(),
        )
        price_from = Subquery(
            live.values("clinic").annotate(m=Min("price_min_usd")).values("m"),
            output_field=models.DecimalField(max_digits=12, decimal_places=2),
        )
        # The day of the rate behind that cheapest price (None: quoted in USD), so the
        # card can say "rate of <date>" without another query.
        price_from_rate_on = Subquery(
            live.order_by("price_min_usd", "pk").values("price_usd_rate_on")[:1],
            output_field=models.DateField(),
        )
        qs = self.with_badge(day).annotate(
            review_count=Coalesce(review_count, 0),
            rating_sum=Coalesce(rating_sum, 0),
            latest_verification_at=latest_verification,
            price_from_usd=price_from,
            price_from_rate_on=price_from_rate_on,
        )
        if counts:
            qs = qs.annotate(
                verified_credential_count=Coalesce(current_count, 0),
                live_offering_count=Coalesce(live_count, 0),
            )
        return qs.annotate(
            rating_avg=Case(
                When(review_count=0, then=None),
                default=ExpressionWrapper(
                    Cast("rating_sum", FloatField()) / Cast("review_count", FloatField()),
                    output_field=FloatField(),
                ),
            ),
            ranking_score=ExpressionWrapper(
                (Value(RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT) + Cast("rating_sum", FloatField()))
                / (Value(float(RATING_PRIOR_WEIGHT)) + Cast("review_count", FloatField())),
                output_field=FloatField(),
            ),
        )

    def ranked(self, on: dt.date | None = None) -> ClinicQuerySet:
        """Public clinics with directory stats, in DIRECTORY_RANKING order."""
        return self.public().with_directory_stats(on).order_by(*DIRECTORY_ORDER_BY)

    # Directory filters: each is one EXISTS over public offerings.
    def treating(self, condition: Any) -> ClinicQuerySet:
        from .models import Offering

        key = "conditions__slug" if isinstance(condition, str) else "conditions"
        return self.filter(
            Exists(
                Offering.objects.filter(clinic=OuterRef("pk"), status="live", **{key: condition})
            )
        )

    def in_countries(self, codes: Iterable[str]) -> ClinicQuerySet:
        return self.filter(country__in=[c.upper() for c in codes])

    def within_budget_usd(self, budget: Decimal | int) -> ClinicQuerySet:
        from .models import Offering

        return self.filter(
            Exists(
                Offering.objects.filter(
                    clinic=OuterRef("pk"), status="live", price_min_usd__lte=budget
                )
            )
        )

    def offering_cell_type(self, cell_type: str) -> ClinicQuerySet:
        from .models import Offering

        return self.filter(
            Exists(
                Offering.objects.filter(clinic=OuterRef("pk"), status="live", cell_type=cell_type)
            )
        )


class OfferingQuerySet(models.QuerySet):
    def live(self) -> OfferingQuerySet:
        return self.filter(status="live")

    def public(self) -> OfferingQuerySet:
        """Live offerings of vetted clinics."""
        return self.filter(status="live", clinic__status="vetted")

    def for_clinic(self, clinic: Any) -> OfferingQuerySet:
        return self.filter(clinic=clinic)

    def with_compliance(self) -> OfferingQuerySet:
        """``legality_conflict`` (bool) and ``compliance`` (a clinics.models.Compliance value).

        A rule matches when its country is the clinic's and each of cell type,
        origin and source is either the offering's or empty ("any").
        """
        matching = self._matching_rules()
        return self.annotate(
            legality_conflict=Exists(matching.filter(legality="not_allowed")),
            legality_permitted=Exists(matching.filter(legality__in=["allowed", "restricted"])),
        ).annotate(
            compliance=Case(
                When(legality_conflict=True, then=Value("conflict")),
                When(legality_permitted=True, then=Value("compliant")),
                default=Value("unknown"),
                output_field=models.CharField(),
            )
        )

    @staticmethod
    def _matching_rules() -> Any:
        from .models import LegalityRule

        return LegalityRule.objects.filter(
            country=OuterRef("clinic__country"),
        ).filter(
            Q(cell_type=OuterRef("cell_type")) | Q(cell_type=""),
            Q(origin=OuterRef("origin")) | Q(origin=""),
            Q(cell_source=OuterRef("cell_source")) | Q(cell_source=""),
        )

    def with_legality_conflict(self) -> OfferingQuerySet:
        """Only ``legality_conflict`` (what a directory card shows): one EXISTS, not three."""
        return self.annotate(
            legality_conflict=Exists(self._matching_rules().filter(legality="not_allowed"))
        )

    def conflicting(self) -> OfferingQuerySet:
        return self.with_compliance().filter(legality_conflict=True)

    def with_badge(self, on: dt.date | None = None) -> OfferingQuerySet:
        """``has_verified_badge``: the clinic's badge plus what the cells depend on.

        Cultured products need a current lab certificate and cell-quality
        documentation; allogeneic products need a current donor-screening
        protocol. An expired credential removes the badge from what depends on it.
        """
        from .models import ALLOGENEIC_BADGE_KINDS, CLINIC_BADGE_KINDS, CULTURED_BADGE_KINDS

        day = _today(on)
        clinic_ref = OuterRef("clinic_id")
        clinic_ok = _has_current(CLINIC_BADGE_KINDS, clinic_ref, day)
        cultured_ok = Q(manipulation="minimal") | _has_current(
            CULTURED_BADGE_KINDS, clinic_ref, day
        )
        allogeneic_ok = Q(origin="autologous") | _has_current(
            ALLOGENEIC_BADGE_KINDS, clinic_ref, day
        )
        return self.annotate(
            has_verified_badge=Case(
                When(clinic_ok & cultured_ok & allogeneic_ok, then=True),
                default=False,
                output_field=models.BooleanField(),
            )
        )


class CredentialQuerySet(models.QuerySet):
    def verified(self) -> CredentialQuerySet:
        return self.filter(status="verified")

    def pending(self) -> CredentialQuerySet:
        return self.filter(status="pending")

    def current(self, on: dt.date | None = None) -> CredentialQuerySet:
        """Verified and not past its expiry date."""
        return self.filter(_current_credential_q(_today(on)))

    def expired(self, on: dt.date | None = None) -> CredentialQuerySet:
        return self.filter(status="verified", expires_on__lt=_today(on))

    def expiring_within(self, days: int, on: dt.date | None = None) -> CredentialQuerySet:
        day = _today(on)
        return self.filter(
            status="verified", expires_on__gte=day, expires_on__lte=day + dt.timedelta(days=days)
        )

    def not_renewed(self) -> CredentialQuerySet:
        """Leave out credentials a later verified one of the same kind replaces."""
        newer = (
            self.model._default_manager.filter(
                clinic=OuterRef("clinic"),
                kind=OuterRef("kind"),
                status="verified",
            )
            .exclude(pk=OuterRef("pk"))
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on")))
        )
        return self.exclude(Exists(newer))
