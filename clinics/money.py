"""Prices: Decimal amounts with an ISO 4217 code, and USD equivalents from exchange rates.

Clinics quote in their own currency. Intake matches a patient's budget in USD, so
every offering also stores ``price_min_usd`` / ``price_max_usd`` and the day of the
rate used (``price_usd_rate_on``): recomputed by the services whenever a price is
written, and for every offering whenever rates change (``offerings_reprice``).

The rates are django-money's (``djmoney.contrib.exchange``: one ``ExchangeBackend``
row per source, its ``Rate`` rows saying how many units of a currency one unit of
the source's base currency buys):

* a provider, where a key is configured (``OPEN_EXCHANGE_RATES_APP_ID`` or
  ``FIXER_ACCESS_KEY``): fetched by the daily beat job (``clinics.tasks``);
* ``staff``: entered by concierge staff in the admin, and seeded by ``seed_demo``
  so the demo works offline. Where a provider is configured, a currency it does
  not cover falls back to the staff rate.

The equivalents are good enough to say "within budget", never to quote a patient
a price: every one is shown as "about USD ..., rate of <date>".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import formats
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from djmoney.contrib.exchange.backends.base import BaseExchangeBackend

STAFF_BACKEND = "staff"
USD = "USD"
CENT = Decimal("0.01")
# Provider rates arrive as "units per base"; six significant digits of the
# inverse are plenty for "about" and make 1 / (1 / 1.08) come back as 1.08.
_SIGNIFICANT = Context(prec=6)
# The settings that name a provider, in order of preference, and django-money's backend.
PROVIDERS = (
    ("OPEN_EXCHANGE_RATES_APP_ID", "djmoney.contrib.exchange.backends.OpenExchangeRatesBackend"),
    ("FIXER_ACCESS_KEY", "djmoney.contrib.exchange.backends.FixerBackend"),
)

CURRENCY_CHOICES: list[tuple[str, object]] = [
    ("USD", _("US dollar (USD)")),
    ("EUR", _("Euro (EUR)")),
    ("GBP", _("Pound sterling (GBP)")),
    ("MXN", _("Mexican peso (MXN)")),
    ("COP", _("Colombian peso (COP)")),
    ("CRC", _("Costa Rican colón (CRC)")),
    ("PAB", _("Panamanian balboa (PAB)")),
    ("THB", _("Thai baht (THB)")),
    ("JPY", _("Japanese yen (JPY)")),
    ("KRW", _("South Korean won (KRW)")),
    ("MYR", _("Malaysian ringgit (MYR)")),
    ("AED", _("UAE dirham (AED)")),
    ("INR", _("Indian rupee (INR)")),
    ("UAH", _("Ukrainian hryvnia (UAH)")),
]


class NoRate(ValueError):
    """No exchange rate is on file for this currency."""


def provider() -> BaseExchangeBackend | None:
    """The configured rate provider (a django-money backend), or None: staff enter rates."""
    for setting, path in PROVIDERS:
        key = getattr(settings, setting, "")
        if key:
            backend: BaseExchangeBackend = import_string(path)(access_key=key)
            return backend
    return None


def rate_sources() -> list[str]:
    """Backend names to read rates from, first match wins."""
    configured = provider()
    return [configured.name, STAFF_BACKEND] if configured and configured.name else [STAFF_BACKEND]


@dataclass(frozen=True)
class UsdRates:
    """USD per unit of each currency with a rate on file, and the day each was set."""

    usd_per_unit: dict[str, Decimal] = field(default_factory=dict)
    as_of: dict[str, dt.date] = field(default_factory=dict)

    def rate(self, currency: str) -> Decimal:
        if currency == USD:
            return Decimal(1)
        try:
            return self.usd_per_unit[currency]
        except KeyError:
            raise NoRate(f"No exchange rate on file for {currency!r}") from None

    def convert(self, amount: Decimal, currency: str) -> Decimal:
        """``amount`` in USD, rounded to the cent. Raises NoRate."""
        return (Decimal(amount) * self.rate(currency)).quantize(CENT, rounding=ROUND_HALF_UP)

    def rate_on(self, currency: str) -> dt.date | None:
        """The day of the rate used for ``currency`` (None for USD: nothing converted)."""
        return None if currency == USD else self.as_of.get(currency)


def current_rates() -> UsdRates:
    """Every rate on file, from the sources in ``rate_sources()`` order. One query."""
    from djmoney.contrib.exchange.models import Rate

    sources = rate_sources()
    per_base: dict[str, dict[str, Decimal]] = {}
    bases: dict[str, str] = {}
    updated: dict[str, dt.date] = {}
    rows = Rate.objects.filter(backend_id__in=sources).select_related("backend")
    for row in rows:
        per_base.setdefault(row.backend_id, {})[row.currency] = row.value
        bases[row.backend_id] = row.backend.base_currency
        updated[row.backend_id] = row.backend.last_update.date()
    usd_per_unit: dict[str, Decimal] = {}
    as_of: dict[str, dt.date] = {}
    for source in reversed(sources):  # the preferred source is written last and wins
        values = {**per_base.get(source, {}), bases.get(source, USD): Decimal(1)}
        usd = values.get(USD)
        if usd is None or source not in per_base:
            continue
        for currency, value in values.items():
            if currency != USD and value > 0:
                usd_per_unit[currency] = _SIGNIFICANT.create_decimal(usd / value)
                as_of[currency] = updated[source]
    return UsdRates(usd_per_unit, as_of)


def to_usd(amount: Decimal, currency: str, rates: UsdRates | None = None) -> Decimal:
    """The USD equivalent of ``amount``, rounded to the cent. Raises NoRate (a ValueError)."""
    if currency == USD:
        return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    return (rates or current_rates()).convert(amount, currency)


def apply_usd_prices(offering: Any, rates: UsdRates | None = None) -> bool:
    """Set ``offering``'s USD equivalents and rate day from its price; False if no rate.

    Without a rate the offering keeps what it had (staff are asked to enter one).
    """
    if offering.price_min is None or offering.price_max is None or not offering.price_currency:
        return True
    if offering.price_currency != USD:
        rates = rates or current_rates()
    try:
        low = to_usd(offering.price_min, offering.price_currency, rates)
        high = to_usd(offering.price_max, offering.price_currency, rates)
    except NoRate:
        return False
    offering.price_min_usd, offering.price_max_usd = low, high
    offering.price_usd_rate_on = rates.rate_on(offering.price_currency) if rates else None
    return True


def _day(day: dt.date) -> str:
    return str(formats.date_format(day, "DATE_FORMAT"))


def about_usd(
    low: Decimal | None, high: Decimal | None, currency: str, rate_on: dt.date | None
) -> str:
    """How a USD equivalent reads: "about USD 5,500 - 8,800, rate of 1 November 2026".

    ``currency`` is the price's own: a price quoted in USD is not converted and
    reads "USD 5,500 - 8,800". A converted price whose rate day is unknown (saved
    before rates were dated) still says "about".
    """
    if low is None:
        return ""
    values = {"low": intcomma(int(low)), "high": intcomma(int(high if high is not None else low))}
    single = values["low"] == values["high"]
    values["amount"] = values["low"]
    if currency == USD:
        text = gettext("USD %(amount)s") if single else gettext("USD %(low)s - %(high)s")
    elif rate_on is None:
        text = (
            gettext("about USD %(amount)s") if single else gettext("about USD %(low)s - %(high)s")
        )
    else:
        values["date"] = _day(rate_on)
        text = (
            gettext("about USD %(amount)s, rate of %(date)s")
            if single
            else gettext("about USD %(low)s - %(high)s, rate of %(date)s")
        )
    return text % values
