"""Prices: Decimal amounts with an ISO 4217 code, plus a USD equivalent for matching.

Clinics quote in their own currency. Intake matches a patient's budget in USD,
so every offering also stores ``price_min_usd`` / ``price_max_usd``, recomputed by
the services whenever a price is written. The rates are reference rates that
staff update here (or override with ``CLINIC_USD_PER_UNIT`` in settings); they are
good enough to say "within budget", never to quote a patient a price.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# USD per one unit of the currency (reference rates, reviewed 2026-11).
USD_PER_UNIT: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "MXN": Decimal("0.055"),
    "COP": Decimal("0.00025"),
    "CRC": Decimal("0.0019"),
    "PAB": Decimal("1"),
    "THB": Decimal("0.028"),
    "JPY": Decimal("0.0066"),
    "KRW": Decimal("0.00073"),
    "MYR": Decimal("0.22"),
    "AED": Decimal("0.2723"),
    "INR": Decimal("0.012"),
    "UAH": Decimal("0.024"),
}

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

CENT = Decimal("0.01")


def usd_per_unit(currency: str) -> Decimal:
    rates = {**USD_PER_UNIT, **getattr(settings, "CLINIC_USD_PER_UNIT", {})}
    try:
        return Decimal(rates[currency])
    except KeyError:
        raise ValueError(f"No USD reference rate for currency {currency!r}") from None


def to_usd(amount: Decimal, currency: str) -> Decimal:
    """The USD equivalent of ``amount``, rounded to the cent."""
    return (Decimal(amount) * usd_per_unit(currency)).quantize(CENT, rounding=ROUND_HALF_UP)
