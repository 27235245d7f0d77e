"""Every patient page reads in Spanish and Arabic: no English left but names and codes.

Each patient page of the URL conf (tests/reach/routes.py) is rendered in English, Spanish
and Arabic; a text segment of the Spanish or Arabic page that is also, word for word, in
the English page fails the test, unless it holds nothing but proper names, numbers and
codes. That catches strings never marked for translation, catalogue entries left empty
and reference data (conditions) left in English.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation
from django_countries import countries

from clinics.models import Clinic, Credential, Doctor, Review
from core.languages import CONTENT_LANGUAGES
from core.timezones import zone_groups
from intake.models import Patient

from .demo import build_demo, sessions, with_language
from .routes import PATIENT, Visit, classify, plan
from .visible_text import page_text, words_left

pytestmark = pytest.mark.django_db

# Words that are the same in both languages (a medical term, a loan word), checked by a person.
SAME_WORDS: dict[str, frozenset[str]] = {
    "es": frozenset({"No", "Psoriasis", "Cardiovascular", "Alcohol", "Hindi", "bytes"}),
    "ar": frozenset(),
}


def proper_names() -> frozenset[str]:
    """Names of people, places and organisations the demo pages show."""
    names: set[str] = set()
    names.update(Clinic.objects.values_list("name", flat=True))
    names.update(Clinic.objects.values_list("city", flat=True))
    names.update(Doctor.objects.values_list("full_name", flat=True))
    names.update(Doctor.objects.values_list("licence_authority", flat=True))
    names.update(Review.objects.values_list("author_display_name", flat=True))
    names.update(Credential.objects.values_list("issuer", flat=True))
    names.update(Patient.objects.values_list("full_name", flat=True))
    for language in ("en", "es", "ar"):
        with translation.override(language):
            names.update(str(name) for _code, name in countries)
            # Language names (a review's language): Django's catalogues name most of them.
            names.update(str(name) for _code, name in CONTENT_LANGUAGES)
            # Cities that name time zones, as CLDR spells them in each language.
            for _country, zones in zone_groups():
                names.update(label.split(") ", 1)[-1] for zone, label in zones if zone != "UTC")
    return frozenset(name for name in names if name)


def _render(client: Client, visit: Visit, language: str) -> list[str]:
    response = with_language(client, language).get(visit.url)
    assert response.status_code == 200, f"{visit.label} in {language}"
    return page_text(response.content.decode())


def test_every_patient_page_reads_in_spanish_and_arabic(figure: Callable[..., None]) -> None:
    """
    GIVEN the demo and every patient page of the URL conf (public, intake, case, follow-up)
    WHEN each is rendered in English, Spanish and Arabic
    THEN no Spanish or Arabic page repeats an English segment that has words in it
    """
    seeded = build_demo()
    pages = plan(seeded.demo)
    assert not pages.unknown, [route.name for route in pages.unknown]
    clients = sessions(seeded)
    found = classify(pages.visits, clients)
    patient_pages = [visit for visit in found.pages if visit.role == PATIENT]
    names = proper_names()
    client = clients[PATIENT]

    untranslated: list[str] = []
    checked = 0
    for visit in patient_pages:
        english = set(_render(client, visit, "en"))
        for language in ("es", "ar"):
            checked += 1
            for segment in dict.fromkeys(_render(client, visit, language)):
                if segment in english and set(words_left(segment, names)) - SAME_WORDS[language]:
                    untranslated.append(f"{visit.label} [{language}]: {segment!r}")

    figure("i18n", pages=checked, untranslated=len(untranslated))
    assert checked >= 2 * 15
    assert not untranslated, "\n" + "\n".join(untranslated)
