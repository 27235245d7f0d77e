"""The about-you step's long selects (time zone, country) are built once per language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from intake.forms.wizard import AboutForm

pytestmark = pytest.mark.django_db


def test_the_time_zone_and_country_selects_mark_the_chosen_values() -> None:
    form = AboutForm(initial={"time_zone": "Asia/Tokyo", "country": "JP"})
    zone = str(form["time_zone"])
    country = str(form["country"])
    assert '<option value="Asia/Tokyo" selected>(UTC+09:00) Tokyo</option>' in zone
    assert zone.count(" selected>") == 1 and zone.count("<option ") > 400
    assert '<option value="JP" selected>Japan</option>' in country
    assert country.count(" selected>") == 1 and 'value="" ' not in country.split("JP")[1]


def test_a_posted_time_zone_is_validated_and_coerced_and_an_unknown_one_is_refused() -> None:
    good = AboutForm(data={"time_zone": "Europe/Madrid", "country": "ES"})
    good.is_valid()
    assert "time_zone" not in good.errors and "country" not in good.errors
    assert str(good.cleaned_data["time_zone"]) == "Europe/Madrid"
    bad = AboutForm(data={"time_zone": "Mars/Olympus<script>", "country": "XX"})
    bad.is_valid()
    assert {"time_zone", "country"} <= set(bad.errors)
    assert "<script>" not in str(bad["time_zone"])


def test_country_names_follow_the_visitors_language(client: Client) -> None:
    with translation.override("es"):
        spanish = str(AboutForm()["country"])
    english = str(AboutForm()["country"])
    assert ">Alemania</option>" in spanish and ">Germany</option>" in english
    body = client.get("/intake/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert ">Alemania</option>" in body
