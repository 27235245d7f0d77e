"""Exchange rates: fetched from a provider (beat) or entered by staff (admin), then applied.

Every change of rates reprices every offering's USD equivalents in the same
transaction, so the directory's filters, ordering and "about USD ..." texts and
intake's budget matching always agree with the rates on file (clinics.money).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User

from ..models import Offering
from ..money import STAFF_BACKEND, USD, UsdRates, apply_usd_prices, current_rates, provider
from ..public_cache import public_pages_changed
from ._common import require_staff

log = logging.getLogger(__name__)

REPRICED_FIELDS = ["price_min_usd", "price_max_usd", "price_usd_rate_on"]


@dataclass(frozen=True)
class RatesResult:
    source: str | None  # the backend written, None when no provider is configured
    currencies: int
    repriced: int
    without_rate: list[str]


def offerings_reprice(*, rates: UsdRates | None = None) -> tuple[int, list[str]]:
    """Recompute the USD equivalents of every offering not priced in USD.

    Returns how many rows changed and the currencies that have no rate (those
    offerings keep their last equivalents). Call inside the transaction that
    changed the rates; bulk writes, no history rows (these are system fields).
    """
    rates = rates or current_rates()
    changed: list[Offering] = []
    missing: set[str] = set()
    offerings = Offering.objects.exclude(price_currency=USD).only(
        "pk", "price_currency", "price_min", "price_max", *REPRICED_FIELDS
    )
    for offering in offerings.iterator(chunk_size=500):
        before = tuple(getattr(offering, name) for name in REPRICED_FIELDS)
        if not apply_usd_prices(offering, rates):
            missing.add(offering.price_currency)
        elif tuple(getattr(offering, name) for name in REPRICED_FIELDS) != before:
            changed.append(offering)
    Offering.objects.bulk_update(changed, REPRICED_FIELDS, batch_size=500)
    public_pages_changed()  # every price reads "about USD ..., rate of <date>"
    return len(changed), sorted(missing)


@transaction.atomic
def _store(
    *, source: str, base: str, values: dict[str, Decimal], acting_user: User | None, action: str
) -> RatesResult:
    from djmoney.contrib.exchange.models import ExchangeBackend, Rate

    backend, _created = ExchangeBackend.objects.update_or_create(
        name=source, defaults={"base_currency": base}
    )  # saving stamps last_update: the "rate of <date>" every price shows
    Rate.objects.bulk_create(
        [Rate(currency=code, value=value, backend=backend) for code, value in values.items()],
        update_conflicts=True,
        unique_fields=["currency", "backend"],
        update_fields=["value"],
    )
    repriced, missing = offerings_reprice()
    audit_event_record(
        action=action,
        acting_user=acting_user,
        target=backend,
        data={
            "source": source,
            "base": base,
            "currencies": len(values),
            "repriced": repriced,
            "without_rate": missing,
        },
    )
    return RatesResult(source, len(values), repriced, missing)


def exchange_rates_refresh() -> RatesResult:
    """Fetch the configured provider's rates, store them and reprice every offering.

    The HTTP request happens before the transaction opens (no network under a
    lock). No provider configured: nothing happens; staff keep rates in the admin.
    Raises whatever the fetch raises (the task retries network errors).
    """
    backend = provider()
    if backend is None or not backend.name:
        log.info("exchange rates: no provider configured; staff rates stay as they are")
        return RatesResult(None, 0, 0, [])
    base = getattr(settings, "BASE_CURRENCY", USD)
    params = {**backend.get_params(), "base_currency": base}
    fetched = backend.get_rates(**params)
    values = {
        str(code): Decimal(str(value))
        for code, value in fetched.items()
        if len(str(code)) == 3 and Decimal(str(value)) > 0
    }
    if not values:
        raise ValueError(f"{backend.name} answered without rates")
    result = _store(
        source=backend.name,
        base=base,
        values=values,
        acting_user=None,
        action="clinics.exchange_rates.fetched",
    )
    log.info(
        "exchange rates: %d from %s, %d offerings repriced",
        result.currencies,
        result.source,
        result.repriced,
    )
    return result


def exchange_rates_set(
    *, values: dict[str, Decimal], acting_user: User | None, as_of: dt.datetime | None = None
) -> RatesResult:
    """Staff (or the demo seed) set rates by hand: units of each currency per US dollar.

    Reprices every offering. ``as_of`` back-dates the rates (the seed's reference
    table); by default they are dated now. Side effects: audit row.
    """
    if acting_user is not None:
        require_staff(acting_user)
    bad = [code for code, value in values.items() if len(code) != 3 or not value > 0]
    if bad:
        raise DomainError(
            _("Every rate must be a positive number of units per US dollar: %(codes)s.")
            % {"codes": ", ".join(sorted(bad))},
            code="invalid_rate",
        )
    with transaction.atomic():
        result = _store(
            source=STAFF_BACKEND,
            base=USD,
            values=values,
            acting_user=acting_user,
            action="clinics.exchange_rates.set",
        )
        if as_of is not None:
            from djmoney.contrib.exchange.models import ExchangeBackend

            ExchangeBackend.objects.filter(name=STAFF_BACKEND).update(last_update=as_of)
            offerings_reprice()  # the day changed: the equivalents carry it
    return result


def exchange_rates_staff_saved(*, acting_user: User | None) -> RatesResult:
    """Staff edited the staff rates in the admin: reprice every offering. Audited."""
    require_staff(acting_user)
    with transaction.atomic():
        repriced, missing = offerings_reprice()
        from djmoney.contrib.exchange.models import ExchangeBackend

        backend = ExchangeBackend.objects.filter(name=STAFF_BACKEND).first()
        audit_event_record(
            action="clinics.exchange_rates.edited",
            acting_user=acting_user,
            target=backend,
            data={"repriced": repriced, "without_rate": missing, "at": timezone.now().isoformat()},
        )
    return RatesResult(STAFF_BACKEND, 0, repriced, missing)
