"""Valid answers for every wizard step, and a client-side walk through the wizard."""

from __future__ import annotations

from typing import Any

from django.test import Client

from clinics.models import Condition

from .files import pdf_bytes, upload


def step_answers(condition: Condition) -> dict[str, dict[str, Any]]:
    return {
        "about": {
            "full_name": "Dana Doe",
            "email": "dana@patients.example",
            "phone": "+1 415 555 0100",
            "date_of_birth": "1961-07-14",
            "sex": "female",
            "country": "US",
            "time_zone": "America/Los_Angeles",
            "language": "en",
            "spoken_languages": ["en", "es"],
            "website": "",
        },
        "condition": {
            "category": condition.category,
            "condition": str(condition.pk),
            "condition_other": "",
            "duration": "1y_3y",
            "severity": "7",
            "functional_impact": "Stairs are hard.",
            "symptoms": "Pain when walking.",
            "goals": "Hike again.",
            "diagnosis_confirmed": "yes",
        },
        "history": {
            "other_conditions": "",
            "current_medications": "Vitamin D",
            "takes_nsaids": "yes",
            "nsaids_details": "Ibuprofen 400 mg daily",
            "takes_immunosuppressants": "no",
            "takes_anticoagulants": "no",
            "allergies": "Penicillin",
            "surgeries": "Appendix 1990",
            "had_cell_therapy": "no",
        },
        "screening": {
            "active_infection": "no",
            "cancer": "never",
            "immune_compromise": "none",
            "pregnant": "no",
            "bleeding_disorder": "no",
            "smoking": "never",
            "alcohol": "light",
        },
        "records": {"records_later": "on"},
        "plans": {
            "budget_min_usd": "2000",
            "budget_max_usd": "15000",
            "countries_accepted": ["MX", "CO"],
            "travel_window": "6m",
            "travel_companion": "yes",
            "needs_travel_help": "no",
        },
        "consent": {"accept_privacy": "on", "share_with_chosen_clinics": "on"},
    }


def post_step(client: Client, step: str, data: dict[str, Any], *, nav: str = "next") -> Any:
    url = (
        "/intake/"
        if step == "about" and "intake_draft_id" not in client.session
        else f"/intake/step/{step}/"
    )
    return client.post(url, {**data, "nav": nav})


def fill_wizard(
    client: Client,
    condition: Condition,
    *,
    overrides: dict[str, dict[str, Any]] | None = None,
    upload_pdf: bool = False,
    clinic_slug: str | None = None,
) -> None:
    """Answer every step up to the review page (not submitted)."""
    answers = step_answers(condition)
    for step, extra in (overrides or {}).items():
        answers[step] = {**answers[step], **extra}
    if clinic_slug:
        client.get(f"/intake/?clinic={clinic_slug}")
    for step in ("about", "condition", "history", "screening", "records", "plans", "consent"):
        if step == "records" and upload_pdf:
            response = client.post(
                "/intake/step/records/upload/",
                {
                    "doc_type": "record",
                    "files": [upload("letter.pdf", pdf_bytes(), "application/pdf")],
                },
            )
            assert response.status_code == 302, response.content[:300]
        response = post_step(client, step, answers[step])
        assert response.status_code == 302, (step, _errors(response.content.decode()))


def _errors(html: str) -> list[str]:
    import re

    return re.findall(r'id="(id_\w+_error)">([^<]*)<', html) or [html[:2000]]
