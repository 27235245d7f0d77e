"""Time zones as people know them: offset and city, grouped by country, in their language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from core.timezones import LRI, PDI, canonical_zone, zone_groups, zone_label

WINTER = dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC)
SUMMER = dt.datetime(2027, 7, 15, 12, tzinfo=dt.UTC)


def test_a_zone_reads_as_its_offset_and_city() -> None:
    assert zone_label("America/Bogota", language="en", at=WINTER) == "(UTC-05:00) Bogotá"
    assert zone_label("Asia/Kolkata", language="en", at=WINTER) == "(UTC+05:30) Kolkata"


def test_the_offset_follows_daylight_saving_time() -> None:
    assert zone_label("America/New_York", language="en", at=WINTER).startswith("(UTC-05:00)")
    assert zone_label("America/New_York", language="en", at=SUMMER).startswith("(UTC-04:00)")


def test_city_names_are_in_the_readers_language_and_arabic_keeps_the_offset_readable() -> None:
    with translation.override("es"):
        assert zone_label("America/New_York", at=WINTER) == "(UTC-05:00) Nueva York"
    with translation.override("ar"):
        label = zone_label("Asia/Dubai", at=WINTER)
    assert label == f"{LRI}(UTC+04:00){PDI} دبي"


def test_zones_are_grouped_under_translated_country_names() -> None:
    with translation.override("es"):
        groups = dict(zone_groups(at=WINTER))
    assert [value for value, _label in groups["Colombia"]] == ["America/Bogota"]
    united_states = [value for value, _label in groups["Estados Unidos"]]
    assert "America/New_York" in united_states and "America/Los_Angeles" in united_states
    # within a country, west to east by offset
    assert united_states.index("America/Los_Angeles") > united_states.index("Pacific/Honolulu")
    last = list(groups.values())[-1]
    assert [value for value, _label in last] == ["UTC"]


def test_legacy_names_browsers_report_map_to_the_listed_zone() -> None:
    assert canonical_zone("Asia/Calcutta") == "Asia/Kolkata"
    assert canonical_zone("Europe/Kiev") == "Europe/Kyiv"
    assert canonical_zone("America/Bogota") == "America/Bogota"
    assert canonical_zone("UTC") == "UTC"
    assert canonical_zone("Mars/Olympus") is None


@pytest.mark.django_db
def test_the_intake_preselects_the_browsers_zone_from_its_cookie(client: Client) -> None:
    client.cookies["tz"] = "Asia/Calcutta"
    body = client.get("/intake/").content.decode()
    assert '<option value="Asia/Kolkata" selected>' in body
    assert 'data-guess-zone=""' in body


@pytest.mark.django_db
def test_without_a_known_zone_the_intake_asks_instead_of_choosing_one(client: Client) -> None:
    body = client.get("/intake/").content.decode()
    picker = body[
        body.index('name="time_zone"') : body.index("</select>", body.index('name="time_zone"'))
    ]
    assert " selected>" not in picker
    assert '<option value="">Choose your time zone</option>' in picker
