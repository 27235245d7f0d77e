"""The patient's case page: status, needs, uploads, proposals, sharing, questions, withdrawal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from core.models import Notification
from core.notifications.services import outbox_drain
from intake.models import Case, CaseDocument, CaseMessage, ClinicShare, DocumentType
from intake.services import case_triage_refresh
from tests.conftest import Personas

from .factories import make_case, make_clinic, make_document, make_proposal, make_proposed_clinic
from .files import all_text, dicom_bytes, jpeg_bytes, upload

pytestmark = pytest.mark.django_db
XHR = {"X-Requested-With": "XMLHttpRequest"}


def _url(case: Case, tail: str = "") -> str:
    return f"/intake/case/{case.reference}/{tail}"


def test_the_page_says_the_status_in_plain_words_and_what_we_need(
    alice_case: Case, case_client: Callable[[Case], Client]
) -> None:
    CaseDocument.objects.filter(case=alice_case).delete()
    case_triage_refresh(case=alice_case, acting_user=None)
    html = case_client(alice_case).get(_url(alice_case)).content.decode()
    assert "We have your case" in html
    assert "What we need from you" in html and "Imaging of the affected area" in html


def test_a_patient_uploads_more_documents_and_the_flags_follow(
    alice_case: Case, case_client: Callable[[Case], Client]
) -> None:
    browser = case_client(alice_case)
    CaseDocument.objects.filter(case=alice_case).delete()
    case_triage_refresh(case=alice_case, acting_user=None)
    assert "no_imaging" in Case.objects.get(pk=alice_case.pk).triage_flags
    response = browser.post(
        _url(alice_case, "upload/"),
        {"doc_type": "mri", "files": [upload("IM1", dicom_bytes()), upload("k.jpg", jpeg_bytes())]},
        headers=XHR,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and body["message"] == "2 files uploaded."
    assert [d["name"] for d in body["stored"]] == ["IM1", "k.jpg"] and body["refused"] == []
    case = Case.objects.get(pk=alice_case.pk)
    assert "no_imaging" not in case.triage_flags
    assert set(case.documents.values_list("channel", flat=True)) == {"case_page"}


def test_proposals_show_only_once_sent(
    alice_case: Case, case_client: Callable[[Case], Client], personas: Personas
) -> None:
    draft = make_proposal(case=alice_case, status="draft", sent_at=None)
    make_proposed_clinic(proposal=draft, clinic=make_clinic(name="Hidden Draft Clinic"))
    browser = case_client(alice_case)
    assert "Hidden Draft Clinic" not in browser.get(_url(alice_case)).content.decode()
    draft.status = "superseded"
    draft.save()
    sent = make_proposal(case=alice_case, note_to_patient="Two good options.")
    make_proposed_clinic(proposal=sent, clinic=personas.clinic_b, position=1)
    make_proposed_clinic(proposal=sent, clinic=personas.clinic_a, position=0)
    html = browser.get(_url(alice_case)).content.decode()
    assert "Clinics we propose" in html and "Two good options." in html
    assert html.index("Clínica Alfa") < html.index("Beta Cell Center")
    assert "Hidden Draft Clinic" not in html


def test_a_patient_shares_with_a_proposed_clinic_and_revokes_it(
    alice_case: Case, case_client: Callable[[Case], Client], personas: Personas
) -> None:
    """
    GIVEN Alice's case with a sent proposal of clinic B
    WHEN she shares her case with clinic B, then stops sharing
    THEN an active ClinicShare exists in between, and none after; history is kept
    """
    make_proposed_clinic(proposal=make_proposal(case=alice_case), clinic=personas.clinic_b)
    browser = case_client(alice_case)
    browser.post(_url(alice_case, "share/"), {"clinic": personas.clinic_b.pk, "action": "grant"})
    assert ClinicShare.objects.active().filter(case=alice_case, clinic=personas.clinic_b).exists()
    html = browser.get(_url(alice_case)).content.decode()
    assert "Can see your case" in html
    browser.post(_url(alice_case, "share/"), {"clinic": personas.clinic_b.pk, "action": "revoke"})
    assert not ClinicShare.objects.active().filter(case=alice_case).exists()
    assert ClinicShare.objects.filter(case=alice_case).count() == 1
    browser.post(_url(alice_case, "share/"), {"clinic": personas.clinic_b.pk, "action": "grant"})
    assert ClinicShare.objects.filter(case=alice_case).count() == 2


def test_a_patient_cannot_share_with_a_clinic_nobody_proposed(
    alice_case: Case, case_client: Callable[[Case], Client]
) -> None:
    stranger = make_clinic(name="Unproposed Clinic")
    browser = case_client(alice_case)
    browser.post(_url(alice_case, "share/"), {"clinic": stranger.pk, "action": "grant"})
    assert not ClinicShare.objects.exists()


def test_the_clinic_the_patient_came_from_can_be_shared(
    alice_case: Case, case_client: Callable[[Case], Client], personas: Personas
) -> None:
    browser = case_client(alice_case)
    assert "the clinic you came from" in browser.get(_url(alice_case)).content.decode()
    browser.post(_url(alice_case, "share/"), {"clinic": personas.clinic_a.pk, "action": "grant"})
    assert ClinicShare.objects.active().filter(case=alice_case, clinic=personas.clinic_a).exists()


def test_a_question_reaches_staff_without_patient_data(
    alice_case: Case, case_client: Callable[[Case], Client], settings: Any
) -> None:
    browser = case_client(alice_case)
    response = browser.post(_url(alice_case, "message/"), {"body": "Is my knee too far gone?"})
    assert response.status_code == 302
    message = CaseMessage.objects.get()
    assert message.sender == "patient"
    notice = Notification.objects.get(kind="intake.patient_message")
    assert (notice.about, notice.recipient_address) == (message, settings.CONCIERGE_EMAIL)
    assert outbox_drain().sent == 1
    staff_mail = mail.outbox[-1]
    assert staff_mail.to == [settings.CONCIERGE_EMAIL]
    everything = all_text(staff_mail)
    assert alice_case.reference in everything
    for phi in ("knee", "Knee", "Alice", "alice@", "Archer"):
        assert phi not in everything
    assert "Is my knee too far gone?" in browser.get(_url(alice_case)).content.decode()


def test_an_empty_question_gets_a_field_error(
    alice_case: Case, case_client: Callable[[Case], Client]
) -> None:
    response = case_client(alice_case).post(_url(alice_case, "message/"), {"body": "  "})
    assert response.status_code == 400 and 'id="id_body_error"' in response.content.decode()
    assert not CaseMessage.objects.exists()


def test_withdrawing_ends_links_and_every_share(
    alice_case: Case, case_client: Callable[[Case], Client], personas: Personas
) -> None:
    browser = case_client(alice_case)
    browser.post(_url(alice_case, "share/"), {"clinic": personas.clinic_a.pk, "action": "grant"})
    unconfirmed = browser.post(_url(alice_case, "withdraw/"), {})
    assert unconfirmed.status_code == 400
    response = browser.post(_url(alice_case, "withdraw/"), {"confirm": "on"})
    assert "withdrawn" in response.content.decode()
    case = Case.objects.get(pk=alice_case.pk)
    assert case.status == "withdrawn"
    assert not ClinicShare.objects.active().exists()
    assert browser.get(_url(alice_case)).status_code == 404


# --- nobody else sees a patient's data ------------------------------------------------
def _views(case: Case, doc: CaseDocument) -> list[tuple[str, str, dict]]:
    return [
        ("get", _url(case), {}),
        ("get", _url(case, f"documents/{doc.pk}/"), {}),
        (
            "post",
            _url(case, "upload/"),
            {"doc_type": "xray", "files": [upload("k.jpg", jpeg_bytes())]},
        ),
        ("post", _url(case, "share/"), {"clinic": "1", "action": "grant"}),
        ("post", _url(case, "message/"), {"body": "hello"}),
        ("post", _url(case, "withdraw/"), {"confirm": "on"}),
    ]


def _assert_nothing_of(case: Case, response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 404, response.status_code
    body = response.content.decode(errors="replace") if not response.streaming else ""
    for secret in (case.patient.full_name, case.patient.email, case.symptoms, "%PDF", "bob-letter"):
        assert secret not in body


def test_alice_cannot_reach_bobs_case_or_documents(
    alice_case: Case, bob_case: Case, case_client: Callable[[Case], Client]
) -> None:
    alice = case_client(alice_case)
    bob_doc = bob_case.documents.get()
    for method, url, data in _views(bob_case, bob_doc):
        _assert_nothing_of(bob_case, getattr(alice, method)(url, data))
    # Alice's session on Bob's document id under her own reference: still nothing
    _assert_nothing_of(bob_case, alice.get(_url(alice_case, f"documents/{bob_doc.pk}/")))
    assert Case.objects.get(pk=bob_case.pk).status == "new"
    assert bob_case.documents.count() == 1 and not CaseMessage.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "clinic_staff", "concierge", "bob_as_user"])
def test_no_one_without_the_link_reaches_a_case(
    bob_case: Case, personas: Personas, who: str
) -> None:
    browser = Client()
    user = {
        "clinic_staff": personas.clinic_a_staff,
        "concierge": personas.concierge,
        "bob_as_user": personas.bob,
    }.get(who)
    if user is not None:
        browser.force_login(user)
    bob_doc = bob_case.documents.get()
    for method, url, data in _views(bob_case, bob_doc):
        _assert_nothing_of(bob_case, getattr(browser, method)(url, data))


def test_a_draft_in_one_browser_is_invisible_to_another(client: Client, knee) -> None:  # type: ignore[no-untyped-def]
    from .wizard_data import fill_wizard

    fill_wizard(client, knee)
    other = Client()
    for step in ("condition", "review", "history"):
        response = other.get(f"/intake/step/{step}/")
        assert response.status_code == 302 and response["Location"] == "/intake/"


def test_the_case_page_runs_the_same_queries_for_5_or_50_documents(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    django_assert_num_queries,
    personas: Personas,
) -> None:  # type: ignore[no-untyped-def]
    proposal = make_proposal(case=alice_case)
    for clinic in (personas.clinic_a, personas.clinic_b):
        make_proposed_clinic(proposal=proposal, clinic=clinic)
    browser = case_client(alice_case)
    for _ in range(4):
        make_document(case=alice_case, doc_type=DocumentType.LAB)
    for _ in range(3):
        CaseMessage.objects.create(case=alice_case, sender="patient", body="q")
    browser.get(_url(alice_case))  # warm the session
    # 11 of the page's own, one per registered panel (consultations lists bookings), the
    # audit row of the look (intake.case_viewed), and "Your data" (the latest export, an
    # open erasure request).
    with django_assert_num_queries(15) as first:
        assert browser.get(_url(alice_case)).status_code == 200
    for _ in range(45):
        make_document(case=alice_case, doc_type=DocumentType.LAB)
    for _ in range(30):
        CaseMessage.objects.create(case=alice_case, sender="patient", body="q")
    extra_clinics = [make_clinic() for _ in range(5)]
    for clinic in extra_clinics:
        make_proposed_clinic(proposal=proposal, clinic=clinic)
    with django_assert_num_queries(len(first.captured_queries)):
        assert browser.get(_url(alice_case)).status_code == 200


def test_a_withdrawn_or_closed_case_takes_no_uploads_from_old_sessions(
    alice_case: Case, case_client: Callable[[Case], Client]
) -> None:
    browser = case_client(alice_case)
    Case.objects.filter(pk=alice_case.pk).update(status="closed")
    response = browser.post(
        _url(alice_case, "upload/"), {"doc_type": "xray", "files": [upload("k.jpg", jpeg_bytes())]}
    )
    assert response.status_code == 404
    assert alice_case.documents.count() == 1


def test_another_patients_case_factory_is_independent(bob_case: Case) -> None:
    assert make_case().patient != bob_case.patient
