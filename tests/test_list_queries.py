"""Every admin list page runs a pinned number of queries, the same with 2 rows on the page
as with 20: no list page costs a query per row, at any size.

The pages run on a small load data set (``seed_load --cases 200``), made once for the
module inside a transaction that is rolled back at its end. A list the data set leaves
empty (change requests, credential notices, plans, tokens, rights requests, the
libraries' own lists) is pinned at its empty count. A new admin needs its pin here.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory

ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture(scope="module")
def load_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        # Marked as a test case's own block, so the services' durable blocks may nest in it.
        connection.atomic_blocks[-1]._from_testcase = True  # type: ignore[attr-defined]
        try:
            call_command("seed_load", cases=200, stdout=StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


def page_queries(client: Client, model_admin: Any, url: str, rows: int) -> tuple[int, int]:
    """Queries and rows shown for the list at ``rows`` per page."""
    model_admin.list_per_page = rows
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), len(response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("model", "model_admin"), ADMINS, ids=[model._meta.label for model, _admin in ADMINS]
)
def test_an_admin_list_costs_the_same_queries_for_2_or_20_rows(
    load_data: None, db: None, client: Client, model: Any, model_admin: Any
) -> None:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    per_page = model_admin.list_per_page
    try:
        client.get(url)  # per-process caches (content types, permissions) warm
        few, shown_few = page_queries(client, model_admin, url, 2)
        many, shown_many = page_queries(client, model_admin, url, 20)
    finally:
        model_admin.list_per_page = per_page
    assert few == many, (
        f"{model._meta.label}: {few} queries for {shown_few} rows, {many} for {shown_many}"
    )
    assert many == PINNED[model._meta.label], f"{model._meta.label}: {many} queries now"


# Queries per list page as a superuser sees it: session, user, permissions and the
# admin's sidebar (about six), the count and the page; more where the list has
# filters that ask the database for their choices or a queryset per row (prefetch).
PINNED: dict[str, int] = {
    "account.EmailAddress": 6,
    "auth.Group": 6,
    "axes.AccessAttempt": 9,
    "axes.AccessFailureLog": 9,
    "axes.AccessLog": 9,
    "clinics.ChangeRequest": 7,
    "clinics.Clinic": 6,
    "clinics.Condition": 6,
    "clinics.Credential": 8,
    "clinics.CredentialNotice": 6,
    "clinics.ExchangeRateSource": 6,
    "clinics.LegalityRule": 6,
    "clinics.Offering": 6,
    "clinics.Review": 7,
    "clinics.VettingReview": 6,
    "consultations.Booking": 10,
    "consultations.Host": 7,
    "consultations.TreatmentPlan": 7,
    "consultations.TreatmentRecord": 7,
    "core.AuditEvent": 9,
    "core.Heartbeat": 6,
    "core.Notification": 9,
    "core.User": 7,
    "django_celery_beat.ClockedSchedule": 6,
    "django_celery_beat.CrontabSchedule": 6,
    "django_celery_beat.IntervalSchedule": 6,
    "django_celery_beat.PeriodicTask": 9,
    "django_celery_beat.SolarSchedule": 6,
    "followups.AdverseEvent": 8,
    "followups.CheckIn": 9,
    "followups.FollowUpSchedule": 7,
    "followups.ScheduleTemplate": 6,
    "followups.StaffTask": 6,
    "intake.AccessToken": 6,
    "intake.Case": 6,
    "intake.ClinicShare": 7,
    "intake.DataExport": 6,
    "intake.ErasureRequest": 6,
    "intake.Patient": 6,
    "intake.Proposal": 6,
    "mfa.Authenticator": 6,
    "sites.Site": 6,
}
