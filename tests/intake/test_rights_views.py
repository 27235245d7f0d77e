"""The patient's export from the case page: ask, wait, download; nobody else's session gets it.

Links are signed for the patient and short-lived: a tampered, foreign or expired
one answers with a page that carries no data.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent
from core.notifications.services import outbox_drain
from intake.models import Case, DataExport, DataExportStatus
from intake.rights_selectors import data_export_token

pytestmark = pytest.mark.django_db


def _ask(browser: Client, case: Case, capture: Callable[..., Any]) -> DataExport:
    with capture(execute=True):
        response = browser.post(f"/intake/case/{case.reference}/my-data/")
    assert response.status_code == 302
    return DataExport.objects.get(patient=case.patient)


def _download_url(case: Case, export: DataExport) -> str:
    return f"/intake/case/{case.reference}/my-data/{data_export_token(export)}/"


def test_the_patient_asks_and_downloads_their_data(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """
    GIVEN Alice on her case page
    WHEN she asks for her data and the files queue builds it
    THEN the page offers the ZIP, the outbox tells her, and the download is audited
    """
    browser = case_client(alice_case)
    export = _ask(browser, alice_case, django_capture_on_commit_callbacks)
    assert export.status == DataExportStatus.READY
    page = browser.get(f"/intake/case/{alice_case.reference}/").content.decode()
    found = re.search(rf'href="(/intake/case/{alice_case.reference}/my-data/[^/"]+/)"', page)
    assert found is not None
    url = found.group(1)

    response = browser.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert {"data.json", "index.html"} <= set(archive.namelist())
    actions = list(
        AuditEvent.objects.filter(action__startswith="intake.data_export")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "intake.data_export_requested",
        "intake.data_export_built",
        "intake.data_export_downloaded",
    ]
    export.refresh_from_db()
    assert export.download_count == 1 and export.downloaded_at is not None

    outbox_drain()  # the eager worker may have sent it already
    (message,) = [m for m in mail.outbox if m.to == [alice_case.patient.email]]
    assert "/intake/c/" in message.body  # a case-page link, never the file
    assert not message.attachments


def test_the_page_says_it_is_being_prepared_until_it_is_ready(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    browser = case_client(alice_case)
    with django_capture_on_commit_callbacks(execute=False):
        browser.post(f"/intake/case/{alice_case.reference}/my-data/")
    page = browser.get(f"/intake/case/{alice_case.reference}/").content.decode()
    assert 'id="export-in-progress"' in page


def test_another_patients_session_cannot_ask_for_or_download_alices_data(
    alice_case: Case,
    bob_case: Case,
    case_client: Callable[[Case], Client],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    export = _ask(case_client(alice_case), alice_case, django_capture_on_commit_callbacks)
    bob = case_client(bob_case)

    asked = bob.post(f"/intake/case/{alice_case.reference}/my-data/")
    assert asked.status_code == 404
    assert DataExport.objects.filter(patient=bob_case.patient).count() == 0
    # Alice's own link, in Bob's browser: his session holds no link to her case.
    direct = bob.get(_download_url(alice_case, export))
    # Alice's token under Bob's case: signed for another patient.
    swapped = bob.get(f"/intake/case/{bob_case.reference}/my-data/{data_export_token(export)}/")
    anonymous = Client().get(_download_url(alice_case, export))
    for response in (direct, swapped, anonymous):
        assert response.status_code == 404
        assert response.get("Content-Disposition") is None
        assert b"Alice" not in response.content and b"PK\x03\x04" not in response.content
    assert not AuditEvent.objects.filter(action="intake.data_export_downloaded").exists()


def test_a_tampered_link_is_refused_with_no_data(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    browser = case_client(alice_case)
    export = _ask(browser, alice_case, django_capture_on_commit_callbacks)
    token = data_export_token(export)
    forged = signing.dumps([export.pk, alice_case.patient_id], salt="another salt")
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        response = browser.get(f"/intake/case/{alice_case.reference}/my-data/{bad}/")
        assert response.status_code == 404
        assert response.get("Content-Disposition") is None
        assert b"PK\x03\x04" not in response.content


def test_an_expired_export_is_refused_with_no_data(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    browser = case_client(alice_case)
    export = _ask(browser, alice_case, django_capture_on_commit_callbacks)
    url = _download_url(alice_case, export)
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(
        requested_at=now - dt.timedelta(days=2), expires_at=now - dt.timedelta(seconds=1)
    )
    response = browser.get(url)
    assert response.status_code == 410
    assert response.get("Content-Disposition") is None
    assert "has expired" in response.content.decode()
    assert (
        'id="export-ready"'
        not in browser.get(f"/intake/case/{alice_case.reference}/").content.decode()
    )


def test_a_stale_signed_link_is_refused(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    browser = case_client(alice_case)
    export = _ask(browser, alice_case, django_capture_on_commit_callbacks)
    url = _download_url(alice_case, export)
    settings.INTAKE_EXPORT_HOURS = -2  # the link's signature is now older than allowed
    assert browser.get(url).status_code == 410


def test_the_sweep_deletes_expired_exports_and_their_files(
    alice_case: Case,
    case_client: Callable[[Case], Client],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from intake.services.data_export import data_exports_purge

    export = _ask(case_client(alice_case), alice_case, django_capture_on_commit_callbacks)
    storage, name = export.file.storage, str(export.file.name)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert data_exports_purge() == 1
    assert not storage.exists(name)
    assert not DataExport.objects.exists()
