"""The triage queue in the admin: who may see it, filters, search, badges, query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode

from clinics.models import ConditionCategory
from core.models import User
from intake.admin.cases import CaseAdmin
from intake.models import CaseStatus
from intake.triage import Flag
from tests.factories import ConditionFactory, UserFactory

from .staff_factories import CaseDocumentFactory, CaseFactory, PatientFactory, PdfRecordFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:intake_case_changelist")


def refs(response: Any) -> set[str]:
    return {case.reference for case in response.context["cl"].result_list}


@pytest.fixture
def concierge_client(client: Client, personas: Any) -> Client:
    client.force_login(personas.concierge)
    return client


def test_concierge_staff_see_the_queue(concierge_client: Client) -> None:
    case = CaseFactory.create()
    response = concierge_client.get(QUEUE)
    assert response.status_code == 200
    assert case.reference in response.content.decode()


@pytest.mark.parametrize("who", ["clinic_a_staff", "alice"])
def test_clinic_staff_and_patients_never_reach_the_queue(
    client: Client, personas: Any, who: str
) -> None:
    case = CaseFactory.create()
    client.force_login(getattr(personas, who))
    response = client.get(QUEUE)
    assert response.status_code == 302  # the admin sends non-staff to its login
    assert case.reference not in response.content.decode()


def test_staff_without_the_concierge_role_see_no_cases(client: Client) -> None:
    case = CaseFactory.create()
    other_staff = UserFactory.create(is_staff=True)
    client.force_login(other_staff)
    response = client.get(QUEUE)
    # No back-office role: the admin does not open at all (its login page then refuses).
    assert response.status_code in (302, 403)
    assert case.reference not in response.content.decode()
    assert client.get(reverse("admin:login")).status_code == 403


def test_the_default_queue_is_open_submitted_cases(concierge_client: Client) -> None:
    new = CaseFactory.create(status=CaseStatus.NEW)
    open_cases = {new.reference} | {
        CaseFactory.create(status=s).reference
        for s in (
            CaseStatus.IN_REVIEW,
            CaseStatus.CLINICIAN_REVIEW,
        )
    }
    closed = CaseFactory.create(status=CaseStatus.CLOSED)
    draft = CaseFactory.create(status=CaseStatus.DRAFT, submitted_at=None)

    assert refs(concierge_client.get(QUEUE)) == open_cases
    assert refs(concierge_client.get(QUEUE, {"queue": "done"})) == {closed.reference}
    assert refs(concierge_client.get(QUEUE, {"queue": "draft"})) == {draft.reference}
    assert refs(concierge_client.get(QUEUE, {"queue": "new"})) == {new.reference}
    assert len(refs(concierge_client.get(QUEUE, {"queue": "all"}))) == 5


def test_the_oldest_waiting_case_comes_first(concierge_client: Client) -> None:
    now = timezone.now()
    newer = CaseFactory.create(submitted_at=now - dt.timedelta(hours=1))
    older = CaseFactory.create(submitted_at=now - dt.timedelta(days=3))
    results = list(concierge_client.get(QUEUE).context["cl"].result_list)
    assert [c.pk for c in results] == [older.pk, newer.pk]


def test_flag_filters(concierge_client: Client) -> None:
    hard = CaseFactory.create(triage_flags=[Flag.ACTIVE_INFECTION], has_hard_contraindication=True)
    caution = CaseFactory.create(triage_flags=[Flag.ANTICOAGULANTS, Flag.NO_IMAGING])
    adverse = CaseFactory.create(triage_flags=[Flag.PREVIOUS_ADVERSE, Flag.PREVIOUS_TREATMENT])
    clean = CaseFactory.create(triage_flags=[])
    CaseDocumentFactory.create(case=clean)

    assert refs(concierge_client.get(QUEUE, {"flags": "hard"})) == {hard.reference}
    assert refs(concierge_client.get(QUEUE, {"flags": "caution"})) == {
        caution.reference,
        adverse.reference,
    }
    assert refs(concierge_client.get(QUEUE, {"flags": "adverse"})) == {adverse.reference}
    assert refs(concierge_client.get(QUEUE, {"flags": "clean"})) == {clean.reference}
    assert refs(concierge_client.get(QUEUE, {"flags": "no_documents"})) == {
        hard.reference,
        caution.reference,
        adverse.reference,
    }


def test_owner_filter_mine_unassigned_and_others(concierge_client: Client, personas: Any) -> None:
    colleague = UserFactory.create(is_staff=True)
    mine = CaseFactory.create(owner=personas.concierge)
    unassigned = CaseFactory.create(owner=None)
    theirs = CaseFactory.create(owner=colleague)

    assert refs(concierge_client.get(QUEUE, {"owner": "mine"})) == {mine.reference}
    assert refs(concierge_client.get(QUEUE, {"owner": "unassigned"})) == {unassigned.reference}
    assert refs(concierge_client.get(QUEUE, {"owner": "others"})) == {theirs.reference}


def test_age_buckets_follow_the_date_of_birth(concierge_client: Client) -> None:
    today = timezone.localdate()

    def born_years_ago(years: int, days: int = 0) -> dt.date:
        return today.replace(year=today.year - years) - dt.timedelta(days=days)

    def case_born(on: dt.date) -> Any:
        return CaseFactory.create(patient=PatientFactory.create(date_of_birth=on))

    turned_40_today = case_born(born_years_ago(40))
    almost_40 = case_born(born_years_ago(40, -1))
    aged_80 = case_born(born_years_ago(80))

    assert refs(concierge_client.get(QUEUE, {"age": "40_59"})) == {turned_40_today.reference}
    assert refs(concierge_client.get(QUEUE, {"age": "18_39"})) == {almost_40.reference}
    assert refs(concierge_client.get(QUEUE, {"age": "75p"})) == {aged_80.reference}


def test_waiting_buckets(concierge_client: Client) -> None:
    now = timezone.now()
    fresh = CaseFactory.create(submitted_at=now - dt.timedelta(hours=2))
    stale = CaseFactory.create(submitted_at=now - dt.timedelta(days=9))
    assert refs(concierge_client.get(QUEUE, {"waiting": "lt1d"})) == {fresh.reference}
    assert refs(concierge_client.get(QUEUE, {"waiting": "gt7d"})) == {stale.reference}


def test_country_and_condition_category_filters(concierge_client: Client) -> None:
    neuro = ConditionFactory.create(
        name="Parkinson's", slug="parkinsons", category=ConditionCategory.NEUROLOGICAL
    )
    spanish = CaseFactory.create(patient=PatientFactory.create(country="ES"))
    mexican = CaseFactory.create(patient=PatientFactory.create(country="MX"), condition=neuro)

    response = concierge_client.get(QUEUE, {"country": "MX"})
    assert refs(response) == {mexican.reference}
    assert "Mexico" in response.content.decode()  # the sidebar names the countries present
    assert refs(concierge_client.get(QUEUE, {"condition__category": "neurological"})) == {
        mexican.reference
    }
    assert spanish.reference in refs(concierge_client.get(QUEUE, {"country": "ES"}))


def test_search_by_reference_name_or_email(concierge_client: Client) -> None:
    target = CaseFactory.create(
        patient=PatientFactory.create(full_name="Rosa Delgado", email="rosa.d@patients.example")
    )
    CaseFactory.create(
        patient=PatientFactory.create(full_name="Tomás Ruiz", email="t.ruiz@patients.example")
    )

    assert refs(concierge_client.get(QUEUE, {"q": target.reference})) == {target.reference}
    assert refs(concierge_client.get(QUEUE, {"q": target.reference.lower()})) == {target.reference}
    assert refs(concierge_client.get(QUEUE, {"q": "Delgado"})) == {target.reference}
    assert refs(concierge_client.get(QUEUE, {"q": "rosa.d@"})) == {target.reference}


def test_a_hard_contraindication_shows_as_a_red_alert_in_the_row(
    concierge_client: Client,
) -> None:
    CaseFactory.create(
        triage_flags=[Flag.CANCER_ACTIVE, Flag.SMOKING], has_hard_contraindication=True
    )
    html = concierge_client.get(QUEUE).content.decode()
    assert 'class="sc-badge sc-badge-alert"' in html
    assert "Alert: Cancer now or under treatment" in html
    assert 'class="sc-badge sc-badge-caution"' in html  # smoking is a caution
    assert "css/intake-admin.css" in html


def _fill(n: int, concierge: User) -> None:
    for i in range(n):
        case = CaseFactory.create(
            owner=concierge if i % 2 else None,
            triage_flags=[Flag.ANTICOAGULANTS] if i % 3 else [Flag.ACTIVE_INFECTION],
            has_hard_contraindication=not i % 3,
        )
        CaseDocumentFactory.create(case=case)
        PdfRecordFactory.create(case=case)


@pytest.mark.parametrize("params", [{}, {"flags": "caution", "owner": "mine", "age": "40_59"}])
def test_the_queue_runs_the_same_queries_for_5_or_50_cases(
    client: Client,
    personas: Any,
    django_assert_num_queries: Any,
    figure: Any,
    params: dict[str, str],
) -> None:
    client.force_login(personas.concierge)
    _fill(5, personas.concierge)
    client.get(QUEUE, params)  # warm per-process caches (content types, site)
    with django_assert_num_queries(QUEUE_QUERIES) as few:
        assert client.get(QUEUE, params).status_code == 200
    _fill(45, personas.concierge)
    with django_assert_num_queries(QUEUE_QUERIES) as many:
        response = client.get(QUEUE, params)
    assert response.status_code == 200
    if not params:  # a full page of the 50 cases
        assert len(response.context["cl"].result_list) == CaseAdmin.list_per_page < 50
    figure("admin_queue_queries", cases_5=len(few), cases_50=len(many), filtered=bool(params))


# Session, user, the concierge role (once per request), the country filter's
# distinct countries, the count, the user's and groups' permissions (the admin's
# sidebar, for the other apps), and the page itself with its document counts.
QUEUE_QUERIES = 8


def test_a_search_finds_a_closed_case_unless_a_status_is_chosen(
    concierge_client: Client,
) -> None:
    closed = CaseFactory.create(status=CaseStatus.CLOSED)
    assert refs(concierge_client.get(QUEUE, {"q": closed.reference})) == {closed.reference}
    assert refs(concierge_client.get(QUEUE, {"q": closed.reference, "queue": "open"})) == set()


def test_a_row_links_to_its_case_page_and_back_to_the_same_queue(
    concierge_client: Client,
) -> None:
    """The row's link and checkbox are drawn without Django's per-row widget and URL
    resolving (intake.admin.queue.QueueChangeList), and read the same as Django's."""
    case = CaseFactory.create(
        status=CaseStatus.IN_REVIEW, patient=PatientFactory.create(full_name="Rosa Delgado")
    )
    html = concierge_client.get(QUEUE, {"queue": "in_review", "q": "delgado"}).content.decode()
    change = reverse("admin:intake_case_change", args=[case.pk])
    back = urlencode({"_changelist_filters": "queue=in_review&q=delgado"})
    assert f'<a href="{escape(change)}?{escape(back)}">{case.reference}</a>' in html
    assert (
        f'<input type="checkbox" name="_selected_action" value="{case.pk}" '
        f'class="action-select" aria-label="Select this object for an action - '
        f'{case.reference}">'
    ) in html
