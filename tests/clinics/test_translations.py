"""Reference data in the patient's language: condition names in English, Spanish and Arabic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from clinics.demo import CONDITIONS, seed_conditions
from clinics.models import Condition
from tests.conftest import Personas
from tests.factories import ConditionFactory

from .factories import OfferingFactory, ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # A request through LocaleMiddleware leaves its language active in the thread; rows
    # created here by ``name=`` must land in the English column whatever ran before.
    with translation.override("en"):
        yield


# Medical names that are the same word in Spanish (checked with a Spanish dictionary).
SAME_IN_SPANISH = {"Psoriasis"}


def test_the_seed_names_every_condition_in_spanish_and_arabic() -> None:
    seed_conditions()
    rows = list(Condition.objects.values_list("name_en", "name_es", "name_ar"))
    assert len(rows) == len(CONDITIONS)
    for english, spanish, arabic in rows:
        assert spanish and arabic, f"{english} lacks a translation"
        assert spanish != english or english in SAME_IN_SPANISH
        assert any("\u0600" <= ch <= "\u06ff" for ch in arabic), f"{english}: {arabic!r}"


def test_seeding_twice_keeps_one_row_per_condition_and_every_language() -> None:
    seed_conditions()
    with translation.override("ar"):
        seed_conditions()  # a seed run in another language must not overwrite English
    heart = Condition.objects.get(slug="heart-failure")
    assert (heart.name_en, heart.name_es) == ("Heart failure", "Insuficiencia cardíaca")
    assert Condition.objects.count() == len(CONDITIONS)


def test_a_name_reads_in_the_active_language_and_falls_back_to_english() -> None:
    seed_conditions()
    untranslated = ConditionFactory.create(name="Tinnitus", slug="tinnitus")
    with translation.override("es"):
        assert Condition.objects.get(slug="knee-osteoarthritis").name == "Artrosis de rodilla"
        assert Condition.objects.get(pk=untranslated.pk).name == "Tinnitus"
    with translation.override("ar"):
        assert Condition.objects.get(slug="heart-failure").name == "قصور القلب"


def test_the_directory_filter_lists_conditions_in_the_readers_language(client: Client) -> None:
    seed_conditions()
    client.cookies["django_language"] = "es"
    body = client.get(reverse("clinics:directory")).content.decode()
    assert "Artrosis de rodilla" in body
    assert "Knee osteoarthritis" not in body


def test_a_profile_shows_the_conditions_treated_in_arabic(
    client: Client, personas: Personas
) -> None:
    seed_conditions()
    knee = Condition.objects.get(slug="knee-osteoarthritis")
    OfferingFactory.create(clinic=personas.clinic_a, conditions=[knee])
    client.cookies["django_language"] = "ar"
    body = client.get(reverse("clinics:profile", args=[personas.clinic_a.slug])).content.decode()
    assert "خشونة مفصل الركبة" in body
    assert "Knee osteoarthritis" not in body


def test_the_admin_edits_every_language_and_lists_what_is_missing(
    client: Client, personas: Personas
) -> None:
    seed_conditions()
    ConditionFactory.create(name="Tinnitus", slug="tinnitus")
    client.force_login(personas.concierge)
    listing = client.get(reverse("admin:clinics_condition_changelist"), {"missing": "any"})
    assert listing.status_code == 200
    rows = listing.context["cl"].result_list
    assert [c.slug for c in rows] == ["tinnitus"]
    assert "Spanish, Arabic" in listing.content.decode()

    heart = Condition.objects.get(slug="heart-failure")
    form = client.get(reverse("admin:clinics_condition_change", args=[heart.pk]))
    html = form.content.decode()
    for code in ("en", "es", "ar"):
        assert f'name="name_{code}"' in html
    response = client.post(
        reverse("admin:clinics_condition_change", args=[heart.pk]),
        {
            "name_en": "Heart failure",
            "name_es": "Insuficiencia cardiaca crónica",
            "name_ar": "قصور القلب",
            "slug": "heart-failure",
            "category": "cardiovascular",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    heart.refresh_from_db()
    assert heart.name_es == "Insuficiencia cardiaca crónica"
    assert heart.name_en == "Heart failure"


def test_the_admin_refuses_a_condition_without_an_english_name(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.concierge)
    response = client.post(
        reverse("admin:clinics_condition_add"),
        {
            "name_en": "",
            "name_es": "Acúfenos",
            "name_ar": "طنين الأذن",
            "slug": "tinnitus",
            "category": "other",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert not Condition.objects.filter(slug="tinnitus").exists()


def test_clinic_and_patient_text_says_its_language_when_it_is_not_the_readers(
    client: Client, personas: Personas
) -> None:
    """
    GIVEN a clinic that writes in Spanish and an English review of it
    WHEN the profile is read in English, then in Spanish
    THEN each passage carries its own lang attribute, and a visible label names its language
         only where it differs from the page's
    """
    clinic = personas.clinic_a
    clinic.description = "Tratamos la artrosis de rodilla con células del propio paciente."
    clinic.content_language = "es"
    clinic.save()
    ReviewFactory.create(clinic=clinic, body="Honest about what to expect.", language="en")

    client.cookies["django_language"] = "en"
    english = client.get(reverse("clinics:profile", args=[clinic.slug])).content.decode()
    assert '<div class="staff-text" lang="es" dir="ltr"><p>Tratamos' in english
    assert "Written by the clinic in Spanish" in english
    assert "Written by the patient" not in english

    client.cookies["django_language"] = "ar"
    arabic = client.get(reverse("clinics:profile", args=[clinic.slug])).content.decode()
    assert '<div class="staff-text" lang="en" dir="ltr"><p>Honest about' in arabic
    assert arabic.count('class="written-in"') >= 2  # the description and the review
