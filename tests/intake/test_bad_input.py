"""Hostile and broken input: escaped everywhere, a 400 (never a 500), one case per submit."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from core.notifications.services import outbox_drain
from intake.models import Case

from .files import html_part
from .wizard_data import fill_wizard, post_step, step_answers

POLYGLOT = (
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//</stYle/</titLe/"
    "</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e"
)
SHORT_POLYGLOT = "'\"></teXtarEa/</scRipt/<sVg/oNloAd=alert()//>"  # for 100-character fields
RAW_MARKERS = ["<sVg/oNloAd", "</scRipt/", "</teXtarEa/"]

TEXT_FIELDS = {
    "about": ["full_name"],
    "condition": ["functional_impact", "symptoms", "goals"],
    "history": [
        "other_conditions",
        "current_medications",
        "nsaids_details",
        "allergies",
        "surgeries",
        "cell_therapy_where",
        "cell_therapy_when",
        "cell_therapy_result",
    ],
    "screening": [
        "active_infection_details",
        "cancer_which",
        "immune_compromise_details",
        "bleeding_disorder_details",
    ],
    "plans": ["elsewhere_clinic_name"],
}


def _polyglot_overrides() -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {
        "history": {"had_cell_therapy": "yes", "cell_therapy_adverse": "no"},
        "screening": {
            "active_infection": "yes",
            "cancer": "past",
            "cancer_year": "2001",
            "immune_compromise": "mild",
            "bleeding_disorder": "yes",
        },
        "plans": {"wants_clinic_check": "on"},
    }
    for step, names in TEXT_FIELDS.items():
        overrides.setdefault(step, {}).update({name: POLYGLOT for name in names})
    overrides["history"]["cell_therapy_when"] = SHORT_POLYGLOT
    return overrides


@pytest.mark.django_db
def test_a_polyglot_in_every_text_field_is_shown_escaped_on_the_review_page(
    client: Client, knee
) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee, overrides=_polyglot_overrides())
    case = Case.objects.get()
    assert case.symptoms == POLYGLOT and case.patient.full_name == POLYGLOT
    html = client.get("/intake/step/review/").content.decode()
    for marker in RAW_MARKERS:
        assert marker not in html
    # every field is there, escaped (one per field plus the page's own uses)
    assert html.count("&lt;sVg/oNloAd=alert()//&gt;") >= sum(len(v) for v in TEXT_FIELDS.values())


@pytest.mark.django_db
def test_a_polyglot_condition_and_name_are_escaped_in_the_acknowledgement_email(
    client: Client, knee
) -> None:  # type: ignore[no-untyped-def]
    overrides = _polyglot_overrides()
    overrides["condition"].update(
        {"category": "unlisted", "condition": "", "condition_other": POLYGLOT[:200]}
    )
    fill_wizard(client, knee, overrides=overrides)
    client.post("/intake/step/review/", {"nav": "submit"})
    assert outbox_drain().sent == 2  # the acknowledgement and the staff notice
    [message] = [m for m in mail.outbox if m.to != ["concierge@concierge.example"]]
    html = html_part(message)
    for marker in RAW_MARKERS:
        assert marker not in html
    assert "&lt;sVg/oNloAd=alert()//&gt;" in html
    assert "\n" not in message.subject


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["symptoms", "severity", "duration", "diagnosis_confirmed"])
def test_nul_bytes_get_a_400_with_a_message(client: Client, knee, field: str) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    answers = step_answers(knee)["condition"]
    response = post_step(client, "condition", {**answers, field: answers[field] + "\x00"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html or "characters we cannot accept" in html
    assert "\x00" not in Case.objects.get().symptoms


@pytest.mark.django_db
def test_nul_bytes_in_the_first_step_create_nothing(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    response = post_step(client, "about", {**step_answers(knee)["about"], "full_name": "Ana\x00"})
    assert (
        response.status_code == 400
        and "Null characters are not allowed" in response.content.decode()
    )
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_ten_megabyte_field_gets_a_friendly_400(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    answers = step_answers(knee)["condition"]
    response = post_step(client, "condition", {**answers, "symptoms": "x" * (10 * 1024 * 1024)})
    assert response.status_code == 400
    assert "We could not read that" in response.content.decode()
    assert Case.objects.get().symptoms == "Pain when walking."


@pytest.mark.django_db
def test_a_long_but_small_field_is_refused_by_its_length_cap(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    answers = step_answers(knee)["condition"]
    response = post_step(client, "condition", {**answers, "symptoms": "x" * 6000})
    assert response.status_code == 400 and 'id="id_symptoms_error"' in response.content.decode()


@pytest.mark.django_db
def test_the_same_final_post_twice_makes_one_case(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    first = client.post("/intake/step/review/", {"nav": "submit"})
    assert first["Location"] == "/intake/done/"
    assert Case.objects.filter(status="new").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_final_posts_make_one_case(knee) -> None:  # type: ignore[no-untyped-def]
    """
    GIVEN a completed draft open in one browser
    WHEN the final POST arrives twice at the same moment (a double click)
    THEN the row lock lets one submit; the other sees a submitted case: one case, one set of emails
    """
    client = Client()
    fill_wizard(client, knee)
    cookie = client.cookies["sessionid"].value
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            c = Client()
            c.cookies["sessionid"] = cookie
            barrier.wait()
            results.append(c.post("/intake/step/review/", {"nav": "submit"}).status_code)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert results == [302, 302]
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert case.status == "new"
    from core.models import AuditEvent

    assert AuditEvent.objects.filter(action="intake.submitted", target_id=str(case.pk)).count() == 1
