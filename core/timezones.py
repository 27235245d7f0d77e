"""Time zones as people know them: "(UTC-05:00) Bogotá", grouped by country, in their language.

Nobody thinks of their zone as ``America/Bogota``. The picker groups zones under the
country name (django-countries, translated) and names each by its UTC offset now and
its main city as CLDR spells it in the reader's language (Babel: "Nueva York",
"نيويورك"). The zone/country table is CLDR's too, through Babel, so the list is the
same on every machine. Offsets change with daylight saving time, so a list is built
per language and per hour, then reused: ~420 zones would otherwise cost ~20 ms a render.

``zone_picker(form_class, "time_zone")`` swaps a form field's widget and choices.
The value stays the IANA name the model stores; legacy names a browser may report
("Asia/Calcutta") are mapped to the one in the list (``canonical_zone``).
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import get_timezone_location
from django import forms
from django.utils import timezone, translation
from django.utils.choices import BaseChoiceIterator
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_countries import countries

UTC_ZONE = "UTC"
# Left-to-right isolate around "(UTC-05:00)": in Arabic the minus sign and the
# parentheses would otherwise be reordered by the bidi algorithm.
LRI, PDI = "\u2066", "\u2069"


@lru_cache(maxsize=1)
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """ISO 3166 code -> the canonical IANA zones CLDR places there (known to zoneinfo)."""
    available = zoneinfo.available_timezones()
    table: dict[str, list[str]] = {}
    for zone, territory in get_global("zone_territories").items():
        # "ZZ" is CLDR's "unknown region" (Etc/UTC, Etc/GMT): UTC is listed on its own.
        if len(territory) == 2 and territory.isalpha() and territory != "ZZ" and zone in available:
            table.setdefault(territory, []).append(zone)
    return {country: tuple(zones) for country, zones in table.items()}


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    """Legacy name -> the name in the list, for every legacy name zoneinfo knows."""
    listed = {zone for zones in _zones_by_country().values() for zone in zones}
    available = zoneinfo.available_timezones()
    return {
        old: new
        for old, new in get_global("zone_aliases").items()
        if new in listed and old in available and old not in listed
    }


def canonical_zone(name: str | None) -> str | None:
    """The listed name for ``name`` (itself, or the zone a legacy alias stands for)."""
    if not name:
        return None
    if name == UTC_ZONE or name in _listed_zones():
        return name
    return _aliases().get(name)


@lru_cache(maxsize=1)
def _listed_zones() -> frozenset[str]:
    return frozenset(zone for zones in _zones_by_country().values() for zone in zones)


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_offset(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"(UTC{sign}{hours:02d}:{rest:02d})"


def _sort_key(text: str) -> str:
    # "Árabe" next to "Argelia", not after "Zambia": accents do not decide the order.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def zone_label(zone: str, *, language: str | None = None, at: dt.datetime | None = None) -> str:
    """ "(UTC-05:00) Bogotá" for ``America/Bogota``, in ``language`` (default: the active one)."""
    language = language or translation.get_language() or "en"
    at = at or timezone.now()
    return _label(zone, language, at, translation.get_language_bidi())


def _label(zone: str, language: str, at: dt.datetime, bidi: bool) -> str:
    offset = format_offset(at.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() or dt.timedelta())
    if bidi:
        offset = f"{LRI}{offset}{PDI}"
    if zone == UTC_ZONE:
        # Outside the f-string: xgettext does not look inside one.
        name = _("Coordinated Universal Time")
        return f"{offset} {name}"
    city = get_timezone_location(zone, locale=_locale(language), return_city=True)
    return f"{offset} {city}"


Group = tuple[str, list[tuple[str, str]]]


@lru_cache(maxsize=16)
def _grouped(language: str, hour: dt.datetime) -> tuple[Group, ...]:
    bidi = translation.get_language_bidi()
    groups: list[tuple[str, str, list[tuple[str, str]]]] = []
    for code, zones in _zones_by_country().items():
        name = str(countries.name(code)) or code
        offsets = {z: hour.astimezone(zoneinfo.ZoneInfo(z)).utcoffset() for z in zones}
        labelled = [(z, _label(z, language, hour, bidi)) for z in zones]
        labelled.sort(key=lambda item: (offsets[item[0]], _sort_key(item[1])))
        groups.append((_sort_key(name), name, labelled))
    groups.sort()
    other = (
        pgettext("time zones not in a country", "Other"),
        [(UTC_ZONE, _label(UTC_ZONE, language, hour, bidi))],
    )
    return (*((name, zones) for _key, name, zones in groups), other)


def zone_groups(at: dt.datetime | None = None) -> tuple[Group, ...]:
    """Every zone grouped by country (country names in the active language), then UTC."""
    at = (at or timezone.now()).astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return _grouped(translation.get_language() or "en", at)


class ZoneChoices(BaseChoiceIterator):
    """Grouped choices that follow the active language and the hour (for the offsets)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> ZoneChoices:
        return self  # nothing to copy: every form instance may share it

    def __iter__(self) -> Iterator[Any]:
        return iter(zone_groups())

    def options_html(self, selected: Iterable[str]) -> SafeString:
        wanted = {canonical_zone(value) or value for value in selected}
        # Nothing preselected unless we know the zone: the browser's guess (static/js/site.js)
        # or the reader's choice; never silently the first country in the list.
        out: list[str] = [format_html('<option value="">{}</option>', _("Choose your time zone"))]
        for group, zones in zone_groups():
            out.append(format_html('<optgroup label="{}">', group))
            for value, label in zones:
                mark = " selected" if value in wanted else ""
                out.append(
                    f'<option value="{conditional_escape(value)}"{mark}>'
                    f"{conditional_escape(label)}</option>"
                )
            out.append("</optgroup>")
        return mark_safe("\n".join(out))  # every group, value and label escaped above


class ZoneSelect(forms.Select):
    """A grouped ``<select>`` of zones; ``data-guess-zone`` lets static/js/site.js pick the
    browser's zone when nothing was chosen yet (a first visit has no ``tz`` cookie)."""

    template_name = "core/widgets/zone_select.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({**(attrs or {}), "data-guess-zone": ""}, choices=ZoneChoices())

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = forms.Widget.get_context(self, name, value, attrs)
        context["widget"]["options_html"] = ZoneChoices().options_html(context["widget"]["value"])
        context["widget"]["aliases"] = _aliases_json()
        return context

    def format_value(self, value: Any) -> list[str]:
        if value is None or value == "":
            return []
        return [canonical_zone(str(value)) or str(value)]


@lru_cache(maxsize=1)
def _aliases_json() -> str:
    return json.dumps(_aliases(), separators=(",", ":"), sort_keys=True)


def _coerce_zone(value: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(value)


def zone_picker(form_class: Any, name: str) -> None:
    """Give ``form_class``'s ``name`` field the grouped, readable zone picker."""
    field = form_class.base_fields[name]
    picker = forms.TypedChoiceField(
        label=field.label,
        help_text=field.help_text,
        required=field.required,
        choices=ZoneChoices(),
        coerce=_coerce_zone,
        widget=ZoneSelect(field.widget.attrs),
    )
    form_class.base_fields[name] = picker
