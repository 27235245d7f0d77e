"""Clinic and offering builders for the demo seed.

Both ``seed_clinics`` and the review builders look clinics up by their demo key,
so the key-to-slug rule lives here, below both, rather than in ``demo`` (which
would make ``demo_vetting`` import its own caller).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.text import slugify

from .demo_data import CLINICS
from .models import Clinic, ClinicStatus, Condition, Offering
from .money import UsdRates, apply_usd_prices


def clinic_slug(key: str) -> str:
    return slugify(next(c["name"] for c in CLINICS if c["key"] == key))


def upsert_clinic(spec: dict[str, Any]) -> Clinic:
    clinic, _ = Clinic.objects.update_or_create(
        slug=slugify(spec["name"]),
        defaults={
            "name": spec["name"],
            "country": spec["country"],
            "city": spec["city"],
            "time_zone": spec["tz"],
            "languages": spec["languages"],
            "website": spec["website"],
            "description": spec["description"],
            "accreditation_notes": spec["accreditation"],
            "contact_name": spec["contact"][0],
            "contact_email": spec["contact"][1],
            "status": spec.get("status", ClinicStatus.VETTED),
        },
    )
    return clinic


def upsert_offering(
    clinic: Clinic,
    title: str,
    facts: dict[str, Any],
    slugs: list[str],
    status: str,
    rates: UsdRates,
) -> Offering:
    values = {k: v for k, v in facts.items()}
    for key in ("price_min", "price_max", "cell_count_millions", "volume_ml"):
        if key in values:
            values[key] = Decimal(values[key])
    priced = Offering(**{k: values[k] for k in ("price_min", "price_max", "price_currency")})
    if not apply_usd_prices(priced, rates):
        raise ValueError(f"no demo exchange rate for {priced.price_currency}")
    values.update(
        price_min_usd=priced.price_min_usd,
        price_max_usd=priced.price_max_usd,
        price_usd_rate_on=priced.price_usd_rate_on,
    )
    offering, _ = Offering.objects.update_or_create(
        clinic=clinic,
        title=title,
        defaults={**values, "status": status},
    )
    offering.conditions.set(Condition.objects.filter(slug__in=slugs))
    return offering
