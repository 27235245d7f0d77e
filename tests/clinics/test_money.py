"""USD equivalents from django-money's exchange rates: fetched, entered by staff, shown dated."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.error import HTTPError

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from djmoney.contrib.exchange.backends import OpenExchangeRatesBackend
from djmoney.contrib.exchange.models import ExchangeBackend, Rate

from clinics import tasks
from clinics.demo import seed_exchange_rates
from clinics.demo_data import REFERENCE_RATES_ON
from clinics.models import Offering
from clinics.money import STAFF_BACKEND, NoRate, UsdRates, about_usd, current_rates, to_usd
from clinics.services import change_request_submit
from clinics.services.rates import exchange_rates_refresh, exchange_rates_set
from clinics.views.passport import price_words
from core.exceptions import DomainError
from core.models import AuditEvent
from intake.matching import CaseNeeds, reason_display, score_offering
from tests.conftest import Personas

from .factories import OfferingFactory

pytestmark = pytest.mark.django_db

NOV_1 = date_format(REFERENCE_RATES_ON, "DATE_FORMAT")


def pesos(personas: Personas, low: str = "110000", high: str = "160000") -> Offering:
    offering: Offering = OfferingFactory.create(
        clinic=personas.clinic_a,
        price_currency="MXN",
        price_min=Decimal(low),
        price_max=Decimal(high),
    )
    return offering


# --- Conversion ------------------------------------------------------------------------
def test_the_seeded_reference_rates_convert_as_the_old_table_did(exchange_rates: UsdRates) -> None:
    assert to_usd(Decimal("110000"), "MXN", exchange_rates) == Decimal("6050.00")
    assert to_usd(Decimal("5000"), "EUR", exchange_rates) == Decimal("5400.00")
    assert to_usd(Decimal("100"), "KRW", exchange_rates) == Decimal("0.07")
    assert exchange_rates.rate_on("MXN") == REFERENCE_RATES_ON
    assert exchange_rates.rate_on("USD") is None


def test_without_rates_only_us_dollars_convert() -> None:
    assert to_usd(Decimal("12.345"), "USD") == Decimal("12.35")
    with pytest.raises(NoRate):
        to_usd(Decimal("1"), "MXN")


def test_a_provider_wins_and_staff_rates_cover_what_it_lacks(
    exchange_rates: UsdRates, settings: Any
) -> None:
    settings.FIXER_ACCESS_KEY = "test-key"
    fixer = ExchangeBackend.objects.create(name="fixer.io", base_currency="EUR")
    Rate.objects.bulk_create(
        [  # EUR-based, as Fixer's free plan answers: via USD
            Rate(backend=fixer, currency="USD", value=Decimal("1.10")),
            Rate(backend=fixer, currency="MXN", value=Decimal("22.00")),
        ]
    )
    rates = current_rates()
    assert rates.rate("MXN") == Decimal("0.05")  # 1.10 / 22.00 USD per peso
    assert rates.rate("EUR") == Decimal("1.10")
    assert rates.rate("THB") == Decimal("0.028")  # Fixer has no baht here: the staff rate
    assert rates.rate_on("THB") == REFERENCE_RATES_ON
    assert rates.rate_on("MXN") == timezone.localdate()


def test_a_price_in_a_currency_without_a_rate_is_refused_with_a_clear_message(
    personas: Personas,
) -> None:
    offering: Offering = OfferingFactory.create(clinic=personas.clinic_a)
    with pytest.raises(DomainError) as error:
        change_request_submit(
            clinic=personas.clinic_a,
            target=offering,
            changes={"price_currency": "THB", "price_min": "200000", "price_max": "300000"},
            acting_user=personas.clinic_a_staff,
        )
    assert error.value.code == "no_exchange_rate" and "THB" in str(error.value)
    offering.refresh_from_db()
    assert offering.price_currency == "USD"


# --- The beat job (no network: the provider's answer is mocked) ----------------------------
def oxr_answer(**rates: str) -> bytes:
    return json.dumps({"base": "USD", "rates": {"USD": 1, **rates}}).encode()


def test_the_job_fetches_the_providers_rates_and_reprices_every_offering(
    personas: Personas,
    exchange_rates: UsdRates,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offering = pesos(personas)
    settings.OPEN_EXCHANGE_RATES_APP_ID = "test-app-id"
    asked: list[dict[str, Any]] = []

    def answer(self: OpenExchangeRatesBackend, **params: Any) -> bytes:
        asked.append({"key": self.access_key, **params})
        return oxr_answer(MXN="20.0", EUR="0.9")

    monkeypatch.setattr(OpenExchangeRatesBackend, "get_response", answer)
    result = exchange_rates_refresh()
    assert asked == [
        {"key": "test-app-id", "app_id": "test-app-id", "base": "USD", "base_currency": "USD"}
    ]
    assert (result.source, result.currencies, result.repriced) == ("openexchangerates.org", 3, 1)
    offering.refresh_from_db()
    assert (offering.price_min_usd, offering.price_max_usd) == (
        Decimal("5500.00"),
        Decimal("8000.00"),
    )
    assert offering.price_usd_rate_on == timezone.localdate()
    event = AuditEvent.objects.get(action="clinics.exchange_rates.fetched")
    assert event.data["repriced"] == 1


def test_without_a_provider_key_the_job_changes_nothing(
    personas: Personas, exchange_rates: UsdRates, monkeypatch: pytest.MonkeyPatch
) -> None:
    offering = pesos(personas)
    monkeypatch.setattr(OpenExchangeRatesBackend, "get_response", pytest.fail)
    assert exchange_rates_refresh().source is None
    offering.refresh_from_db()
    assert offering.price_usd_rate_on == REFERENCE_RATES_ON


def test_the_task_retries_a_provider_outage_and_logs_a_wrong_key(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def failing(code: int) -> Any:
        def refresh() -> None:
            calls.append(code)
            raise HTTPError("https://rates.example/", code, "no", None, None)  # type: ignore[arg-type]

        return refresh

    monkeypatch.setattr("clinics.services.rates.exchange_rates_refresh", failing(503))
    monkeypatch.setattr(tasks.exchange_rates_refresh, "retry", _raise_retry)
    with pytest.raises(Retry):
        tasks.exchange_rates_refresh.run()
    monkeypatch.setattr("clinics.services.rates.exchange_rates_refresh", failing(401))
    tasks.exchange_rates_refresh.run()  # not retried: a wrong key does not heal itself
    assert calls == [503, 401]
    assert "check the key" in caplog.text


def _raise_retry(*args: Any, **kwargs: Any) -> Retry:
    raise Retry(exc=kwargs.get("exc"), when=kwargs.get("countdown"))


# --- Staff enter rates in the admin -----------------------------------------------------------
def test_staff_enter_a_rate_in_the_admin_and_every_offering_follows(
    client: Client, personas: Personas, exchange_rates: UsdRates
) -> None:
    offering = pesos(personas, "100000", "150000")
    ExchangeBackend.objects.filter(name=STAFF_BACKEND).delete()  # a fresh install: no rates
    client.force_login(personas.concierge)
    response = client.post(
        reverse("admin:clinics_exchangeratesource_add"),
        {
            "rates-TOTAL_FORMS": "1",
            "rates-INITIAL_FORMS": "0",
            "rates-MIN_NUM_FORMS": "0",
            "rates-MAX_NUM_FORMS": "1000",
            "rates-0-currency": "MXN",
            "rates-0-value": "20",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "1 offering prices recomputed in US dollars" in response.content.decode()
    assert Rate.objects.get(backend_id=STAFF_BACKEND, currency="MXN").value == Decimal("20")
    offering.refresh_from_db()
    assert (offering.price_min_usd, offering.price_usd_rate_on) == (
        Decimal("5000.00"),
        timezone.localdate(),
    )
    assert AuditEvent.objects.filter(action="clinics.exchange_rates.edited").exists()


def test_clinic_staff_never_see_the_rates_admin(client: Client, personas: Personas) -> None:
    client.force_login(personas.clinic_a_staff)
    response = client.get(reverse("admin:clinics_exchangeratesource_changelist"))
    assert response.status_code in (302, 403)


def test_the_rate_sources_columns_are_named_in_the_staff_members_language(
    client: Client, personas: Personas, exchange_rates: UsdRates
) -> None:
    # django-money's own fields have no verbose names: without ours they read in English.
    client.force_login(personas.concierge)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = client.get(reverse("admin:clinics_exchangeratesource_changelist")).content.decode()
    columns = ("source_name", "source_base_currency", "source_last_update", "rate_count")
    headers = [
        re.search(rf'column-{name}\b.*?<div class="text">(?:<a [^>]*>)?([^<]*)', page, re.S)
        for name in columns
    ]
    assert [h.group(1).strip() if h else None for h in headers] == [
        "Nombre",
        "Moneda base",
        "Última actualización",
        "Tipos de cambio",
    ]
    assert STAFF_BACKEND in page


def test_seed_demo_rates_are_dated_and_never_overwrite_staff_rates(personas: Personas) -> None:
    assert seed_exchange_rates() == 13
    backend = ExchangeBackend.objects.get(name=STAFF_BACKEND)
    assert backend.last_update.date() == REFERENCE_RATES_ON
    exchange_rates_set(values={"MXN": Decimal("20")}, acting_user=personas.concierge)
    assert seed_exchange_rates() == 0
    assert Rate.objects.get(backend=backend, currency="MXN").value == Decimal("20")


# --- Every converted price says "about" and the rate's day ----------------------------------
def test_the_words_for_a_converted_price(exchange_rates: UsdRates) -> None:
    day = REFERENCE_RATES_ON
    assert about_usd(Decimal("6050"), Decimal("8800"), "MXN", day) == (
        f"about USD 6,050 - 8,800, rate of {NOV_1}"
    )
    assert about_usd(Decimal("6050"), Decimal("6050"), "MXN", day) == (
        f"about USD 6,050, rate of {NOV_1}"
    )
    assert about_usd(Decimal("6050"), Decimal("8800"), "USD", None) == "USD 6,050 - 8,800"


def test_the_profile_shows_the_usd_equivalent_with_its_rate_day(
    client: Client, personas: Personas, exchange_rates: UsdRates
) -> None:
    offering = pesos(personas)
    assert price_words(offering) == (
        f"MXN 110,000 - 160,000 (about USD 6,050 - 8,800, rate of {NOV_1})"
    )


def test_the_directory_card_says_about_and_the_rate_day(
    client: Client, personas: Personas, exchange_rates: UsdRates
) -> None:
    from .factories import give_badge

    personas.clinic_a.status = "vetted"
    personas.clinic_a.save()
    give_badge(personas.clinic_a)
    pesos(personas)
    page = client.get(reverse("clinics:directory")).content.decode()
    assert f"Treatments from about USD 6,050, rate of {NOV_1}" in page


def test_matching_shows_the_rate_day_behind_a_budget_overlap(
    personas: Personas, exchange_rates: UsdRates
) -> None:
    offering = pesos(personas)
    needs = CaseNeeds(
        condition_id=None,
        countries=None,
        budget_min=None,
        budget_max=10000,
        languages=frozenset(),
        preferred_clinic_id=None,
    )
    [budget] = [
        r for r in score_offering(needs, offering.clinic, offering).reasons if r.code == "budget"
    ]
    stored = budget.as_json()
    assert (stored["detail"], stored["rate_on"]) == ("USD 6,050 - USD 8,800", "2026-11-01")
    assert reason_display(stored) == (
        f"Price range overlaps the budget (about USD 6,050 - USD 8,800, rate of {NOV_1})"
    )
    stored.pop("rate_on")
    assert reason_display(stored) == "Price range overlaps the budget (USD 6,050 - USD 8,800)"
