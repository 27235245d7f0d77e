from __future__ import annotations

import pytest
from django.test import Client

from core.models import Notification
from intake.models import Case, CaseStatus, PrivacyConsent
from tests.conftest import Personas

from .factories import make_condition
from .wizard_data import fill_wizard, post_step, step_answers

pytestmark = pytest.mark.django_db


def test_a_new_patient_completes_the_wizard_and_gets_a_reference(
    client: Client,
    knee,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """
    GIVEN a visitor with no draft
    WHEN they answer every step and send the review page
    THEN one case exists in status new with a reference, consent is stored, and its two
         e-mails are queued in the outbox (one nudge to the dispatcher after commit)
    """
    fill_wizard(client, knee)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/intake/step/review/", {"nav": "submit"})
    assert response.status_code == 302 and response["Location"] == "/intake/done/"
    case = Case.objects.get()
    assert case.status == CaseStatus.NEW and case.submitted_at is not None
    assert "NSAIDS".lower() in case.triage_flags and "records_later" in case.triage_flags
    assert len(callbacks) == 1
    assert sorted(Notification.objects.values_list("kind", flat=True)) == [
        "intake.acknowledgement",
        "intake.new_case",
    ]
    consent = PrivacyConsent.objects.get(case=case)
    assert consent.notice_version == "2026-11" and consent.ip_address == "127.0.0.1"
    done = client.get("/intake/done/")
    assert case.reference in done.content.decode()


def _start(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    response = post_step(client, "about", step_answers(knee)["about"])
    assert response.status_code == 302


def test_a_clinic_profile_link_preselects_that_clinic(
    client: Client, personas: Personas, knee
) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/intake/?clinic={personas.clinic_a.slug}")
    assert "Clínica Alfa" in page.content.decode()
    _start(client, knee)
    assert Case.objects.get().preferred_clinic == personas.clinic_a


def test_an_unknown_or_unvetted_clinic_slug_is_ignored(
    client: Client, personas: Personas, knee
) -> None:  # type: ignore[no-untyped-def]
    personas.clinic_b.status = "suspended"
    personas.clinic_b.save()
    client.get(f"/intake/?clinic={personas.clinic_b.slug}")
    client.get("/intake/?clinic=no-such-clinic")
    _start(client, knee)
    assert Case.objects.get().preferred_clinic is None


def test_every_step_shows_a_progress_indicator(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/intake/").content.decode()
    assert "Step 1 of 8" in html and '<progress class="intake-progress" max="8" value="1"' in html
    _start(client, knee)
    html = client.get("/intake/step/condition/").content.decode()
    assert "Step 2 of 8" in html and 'aria-current="step"' in html


def test_steps_cannot_be_skipped(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/intake/step/plans/")["Location"] == "/intake/"
    _start(client, knee)
    assert client.get("/intake/step/plans/")["Location"] == "/intake/step/condition/"


def test_back_saves_a_valid_step_and_keeps_an_invalid_one_typed(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    _start(client, knee)
    answers = step_answers(knee)["condition"]
    response = post_step(client, "condition", {**answers, "symptoms": "Sharp pain"}, nav="back")
    assert response["Location"] == "/intake/step/about/"
    assert Case.objects.get().symptoms == "Sharp pain"
    # invalid (severity 11) and Back: nothing saved, but what was typed comes back
    post_step(
        client,
        "condition",
        {**answers, "symptoms": "Typed but invalid", "severity": "11"},
        nav="back",
    )
    assert Case.objects.get().symptoms == "Sharp pain"
    again = client.get("/intake/step/condition/")
    assert "Typed but invalid" in again.content.decode()
    assert 'id="id_severity_error"' in again.content.decode()


def test_the_answers_survive_going_back_and_forth(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    html = client.get("/intake/step/history/").content.decode()
    assert "Ibuprofen 400 mg daily" in html and "Penicillin" in html
    html = client.get("/intake/step/about/").content.decode()
    assert 'value="dana@patients.example"' in html


@pytest.mark.parametrize(
    ("step", "field", "value"),
    [
        ("about", "date_of_birth", "2999-01-01"),
        ("about", "date_of_birth", "1800-01-01"),
        ("about", "date_of_birth", "not-a-date"),
        ("condition", "severity", "11"),
        ("condition", "severity", "-1"),
        ("condition", "severity", "NaN"),
        ("condition", "severity", "5.5"),
        ("plans", "budget_max_usd", "NaN"),
        ("screening", "cancer_year", "1800"),
        ("screening", "cancer_year", "3000"),
    ],
)
def test_bad_dates_and_numbers_get_a_message_next_to_the_field(
    client: Client,
    knee,
    step: str,
    field: str,
    value: str,  # type: ignore[no-untyped-def]
) -> None:
    overrides = (
        {"screening": {"cancer": "past", "cancer_which": "Skin", "cancer_year": value}}
        if step == "screening"
        else {}
    )
    if step != "about":
        fill_wizard(client, knee)
    answers = {**step_answers(knee)[step], **overrides.get(step, {}), field: value}
    response = post_step(client, step, answers)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert (
        f'aria-describedby="id_{field}_help id_{field}_error"' in html
        or f'id_{field}_error"' in html
    )


def test_follow_up_questions_are_required_only_when_the_answer_is_yes(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    history = step_answers(knee)["history"]
    missing = post_step(client, "history", {**history, "takes_nsaids": "yes", "nsaids_details": ""})
    assert missing.status_code == 400 and 'id="id_nsaids_details_error"' in missing.content.decode()
    missing = post_step(client, "history", {**history, "had_cell_therapy": "yes"})
    html = missing.content.decode()
    for name in (
        "cell_therapy_where",
        "cell_therapy_when",
        "cell_therapy_result",
        "cell_therapy_adverse",
    ):
        assert f'id="id_{name}_error"' in html
    ok = post_step(
        client, "history", {**history, "takes_nsaids": "no", "nsaids_details": "left over"}
    )
    assert ok.status_code == 302
    assert Case.objects.get().nsaids_details == ""  # a "no" clears a stale follow-up

    screening = step_answers(knee)["screening"]
    for trigger, follow_ups in [
        ({"active_infection": "yes"}, ["active_infection_details"]),
        ({"cancer": "past"}, ["cancer_which", "cancer_year"]),
        ({"cancer": "current"}, ["cancer_which", "cancer_year"]),
        ({"immune_compromise": "severe"}, ["immune_compromise_details"]),
        ({"bleeding_disorder": "yes"}, ["bleeding_disorder_details"]),
    ]:
        html = post_step(client, "screening", {**screening, **trigger}).content.decode()
        for name in follow_ups:
            assert f'id="id_{name}_error"' in html, (trigger, name)
    assert post_step(client, "screening", screening).status_code == 302


def test_the_follow_ups_are_marked_for_the_script_that_hides_them(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    html = client.get("/intake/step/screening/").content.decode()
    assert 'data-show-if="cancer" data-show-values="past current"' in html
    assert "js/intake.js" in html


def test_a_condition_is_chosen_from_the_taxonomy_or_described(
    client: Client, knee, personas: Personas
) -> None:  # type: ignore[no-untyped-def]

    hair = make_condition(name="Hair loss", slug="hair-loss", category="cosmetic")
    _start(client, knee)
    answers = step_answers(knee)["condition"]
    wrong_area = post_step(client, "condition", {**answers, "condition": str(hair.pk)})
    assert 'id="id_condition_error"' in wrong_area.content.decode()
    no_text = post_step(client, "condition", {**answers, "category": "unlisted", "condition": ""})
    assert 'id="id_condition_other_error"' in no_text.content.decode()
    ok = post_step(
        client,
        "condition",
        {
            **answers,
            "category": "unlisted",
            "condition": str(knee.pk),
            "condition_other": "Frozen shoulder",
        },
    )
    assert ok.status_code == 302
    case = Case.objects.get()
    assert case.condition is None and case.condition_other == "Frozen shoulder"


def test_records_need_a_document_or_the_later_box(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    response = post_step(client, "records", {})
    assert (
        response.status_code == 400 and 'id="id_records_later_error"' in response.content.decode()
    )


def test_plans_check_budget_countries_and_the_clinic_to_check(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    plans = step_answers(knee)["plans"]
    html = post_step(
        client, "plans", {**plans, "budget_min_usd": "9000", "budget_max_usd": "100"}
    ).content.decode()
    assert 'id="id_budget_max_usd_error"' in html
    html = post_step(client, "plans", {**plans, "countries_accepted": []}).content.decode()
    assert 'id="id_countries_accepted_error"' in html
    html = post_step(client, "plans", {**plans, "countries_accepted": ["ZZ"]}).content.decode()
    assert 'id="id_countries_accepted_error"' in html
    html = post_step(client, "plans", {**plans, "wants_clinic_check": "on"}).content.decode()
    assert 'id="id_elsewhere_clinic_name_error"' in html
    ok = post_step(
        client,
        "plans",
        {
            **plans,
            "countries_accepted": [],
            "any_country": "on",
            "wants_clinic_check": "on",
            "elsewhere_clinic_name": "Stem Spa",
            "elsewhere_clinic_website": "stemspa.example",
        },
    )
    assert ok.status_code == 302
    case = Case.objects.get()
    assert case.any_country and case.countries_accepted == []
    assert case.elsewhere_clinic_website == "https://stemspa.example"


def test_the_privacy_notice_is_required(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    response = post_step(client, "consent", {"share_with_chosen_clinics": "on"})
    assert response.status_code == 400
    assert 'id="id_accept_privacy_error"' in response.content.decode()


def test_consent_to_share_with_clinics_is_optional(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    """Declining to share must not stop the assessment; sharing then needs consent later."""
    fill_wizard(client, knee)
    response = post_step(client, "consent", {"accept_privacy": "on"})
    assert response.status_code == 302
    consent = Case.objects.get().consents.get()
    assert consent.share_with_chosen_clinics is False


def test_an_incomplete_draft_cannot_be_sent(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(client, knee)
    case = Case.objects.get()
    case.consents.all().delete()
    response = client.post("/intake/step/review/", {"nav": "submit"}, follow=True)
    assert "Some answers are missing" in response.content.decode()
    assert Case.objects.get().status == CaseStatus.DRAFT


def test_a_hard_contraindication_sends_the_case_to_clinician_review(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    fill_wizard(
        client,
        knee,
        overrides={
            "screening": {
                "active_infection": "yes",
                "active_infection_details": "Urinary infection",
            }
        },
    )
    client.post("/intake/step/review/", {"nav": "submit"})
    case = Case.objects.get()
    assert case.status == CaseStatus.CLINICIAN_REVIEW
    assert case.has_hard_contraindication and "active_infection" in case.triage_flags


def test_posted_status_owner_and_patient_are_ignored(
    client: Client, knee, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    other = Case.objects.none()
    assert not other
    evil = {
        "status": "matched",
        "owner": str(personas.concierge.pk),
        "patient": "1",
        "reference": "SC-AAAA-AAAA",
        "triage_flags": "[]",
        "has_hard_contraindication": "on",
        "submitted_at": "2020-01-01",
    }
    answers = step_answers(knee)
    post_step(client, "about", {**answers["about"], **evil})
    for step in ("condition", "history", "screening", "plans"):
        if step == "plans":
            post_step(client, "records", answers["records"])
        post_step(client, step, {**answers[step], **evil})
    case = Case.objects.get()
    assert case.status == CaseStatus.DRAFT and case.owner is None and case.submitted_at is None
    assert case.reference != "SC-AAAA-AAAA" and not case.has_hard_contraindication


def test_a_filled_honeypot_is_refused(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    response = post_step(
        client, "about", {**step_answers(knee)["about"], "website": "http://spam.example"}
    )
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_csrf_is_enforced(knee) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    response = client.post("/intake/", {**step_answers(knee)["about"], "nav": "next"})
    assert response.status_code == 403
    assert not Case.objects.exists()


@pytest.mark.usefixtures("rate_window")
def test_the_public_intake_is_rate_limited_per_ip(client: Client, knee, settings) -> None:  # type: ignore[no-untyped-def]
    settings.INTAKE_RATE_LIMIT = "3/d"  # a day-long window: no boundary mid-test
    bad = {"nav": "next"}
    codes = [client.post("/intake/", bad, REMOTE_ADDR="198.51.100.7").status_code for _ in range(5)]
    assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429]
    # another address is not affected
    assert client.post("/intake/", bad, REMOTE_ADDR="198.51.100.8").status_code == 400


def test_leaving_a_shared_computer_forgets_the_draft_in_this_browser_only(
    client: Client, knee
) -> None:  # type: ignore[no-untyped-def]
    _start(client, knee)
    assert 'id="start-over-form"' in client.get("/intake/step/condition/").content.decode()
    assert client.post("/intake/start-over/")["Location"] == "/intake/"
    assert client.get("/intake/step/condition/")["Location"] == "/intake/"
    assert Case.objects.get().status == CaseStatus.DRAFT  # still resumable by emailed link
