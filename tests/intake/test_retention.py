"""Retention: idle drafts and long-dead links are deleted; sent cases never are."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent
from intake.models import AccessToken, Case, CaseDocument, Patient, PrivacyConsent, TokenPurpose
from intake.services import access_tokens_purge, drafts_purge
from intake.tasks import intake_retention_sweep

from .factories import make_case, make_document, make_draft, make_patient, make_token

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _idle_for(case: Case, days: int) -> None:
    """Backdate every activity signal of ``case`` (update() skips auto_now)."""
    when = timezone.now() - days * DAY
    Case.objects.filter(pk=case.pk).update(updated_at=when)
    CaseDocument.objects.filter(case=case).update(uploaded_at=when)


def _file_path(doc: CaseDocument) -> Path:
    return Path(doc.file.path)


def test_an_idle_draft_and_its_files_are_deleted_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """
    GIVEN a draft with an uploaded document, a link and a consent, idle for 31 days
    WHEN the retention purge runs
    THEN the case, document, link, consent, patient and their history rows are gone
    AND the file is deleted only when the transaction commits
    """
    draft = make_draft()
    doc = make_document(case=draft)
    make_token(draft, TokenPurpose.RESUME, "R" * 43)
    path = _file_path(doc)
    patient_id = draft.patient_id
    assert path.exists()
    assert Case.history.filter(id=draft.pk).exists()  # type: ignore[attr-defined]
    _idle_for(draft, 31)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert drafts_purge() == 1
        assert path.exists(), "a file must outlive its row until commit"
    assert len(callbacks) == 1

    assert not path.exists()
    assert not Case.objects.filter(pk=draft.pk).exists()
    assert not CaseDocument.objects.filter(pk=doc.pk).exists()
    assert not AccessToken.objects.filter(case_id=draft.pk).exists()
    assert not PrivacyConsent.objects.filter(case_id=draft.pk).exists()
    assert not Patient.objects.filter(pk=patient_id).exists()
    assert not Case.history.filter(id=draft.pk).exists()  # type: ignore[attr-defined]
    assert not Patient.history.filter(id=patient_id).exists()  # type: ignore[attr-defined]
    event = AuditEvent.objects.get(action="intake.drafts_purged")
    assert event.data["cases"] == 1
    assert event.data["documents"] == 1
    assert event.data["links"] == 1
    assert event.data["consents"] == 1
    assert event.data["patients"] == 1
    assert event.data["case_ids"] == [draft.pk]
    assert event.data["retention_days"] == 30


def test_a_rollback_keeps_the_file_a_row_still_points_to(
    django_capture_on_commit_callbacks: Any,
) -> None:
    draft = make_draft()
    doc = make_document(case=draft)
    _idle_for(draft, 31)

    class Abort(Exception):
        pass

    # The undecorated body (the durable block refuses to nest), inside a
    # transaction that then fails: its on-commit file delete must never run.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abort),
        transaction.atomic(),
    ):
        drafts_purge.__wrapped__()  # type: ignore[attr-defined]
        raise Abort
    assert callbacks == []
    assert CaseDocument.objects.filter(pk=doc.pk).exists()
    assert _file_path(doc).exists()


def test_a_recent_draft_stays(django_capture_on_commit_callbacks: Any) -> None:
    draft = make_draft()
    doc = make_document(case=draft)
    _idle_for(draft, 29)
    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_purge() == 0
    assert Case.objects.filter(pk=draft.pk).exists()
    assert _file_path(doc).exists()


def test_a_recent_upload_or_link_use_keeps_an_old_draft(
    django_capture_on_commit_callbacks: Any,
) -> None:
    uploaded = make_draft()
    _idle_for(uploaded, 60)
    make_document(case=uploaded)  # uploads do not save the case
    returned = make_draft()
    token = make_token(returned, TokenPurpose.RESUME, "U" * 43)
    _idle_for(returned, 60)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - 2 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_purge() == 0
    assert Case.objects.filter(pk__in=[uploaded.pk, returned.pk]).count() == 2


def test_an_old_submitted_case_and_its_file_stay(
    django_capture_on_commit_callbacks: Any,
) -> None:
    case = make_case()
    doc = make_document(case=case)
    _idle_for(case, 400)
    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_purge() == 0
    assert Case.objects.filter(pk=case.pk).exists()
    assert CaseDocument.objects.filter(pk=doc.pk).exists()
    assert _file_path(doc).exists()
    assert PrivacyConsent.objects.filter(case=case).exists()


def test_a_patient_with_another_case_stays(django_capture_on_commit_callbacks: Any) -> None:
    patient = make_patient()
    submitted = make_case(patient=patient)
    draft = make_draft(patient=patient)
    _idle_for(draft, 31)
    _idle_for(submitted, 31)
    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_purge() == 1
    assert not Case.objects.filter(pk=draft.pk).exists()
    assert Case.objects.filter(pk=submitted.pk).exists()
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert Patient.history.filter(id=patient.pk).exists()  # type: ignore[attr-defined]
    assert AuditEvent.objects.get(action="intake.drafts_purged").data["patients"] == 0


def test_the_retention_window_is_a_setting(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.INTAKE_DRAFT_RETENTION_DAYS = 90
    draft = make_draft()
    _idle_for(draft, 60)
    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_purge() == 0
        assert drafts_purge(now=timezone.now() + 31 * DAY) == 1


def test_a_second_run_purges_nothing(django_capture_on_commit_callbacks: Any) -> None:
    draft = make_draft()
    make_document(case=draft)
    _idle_for(draft, 31)
    make_token(make_case(), TokenPurpose.CASE, "X" * 43, expires_in=-31 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert intake_retention_sweep() == {"drafts": 1, "links": 1, "archives": 0, "exports": 0}
        assert intake_retention_sweep() == {"drafts": 0, "links": 0, "archives": 0, "exports": 0}
    runs = AuditEvent.objects.filter(action="intake.drafts_purged").order_by("pk")
    assert [e.data["cases"] for e in runs] == [1, 0]


def test_links_dead_for_over_30_days_are_purged_and_live_ones_kept() -> None:
    case = make_case()
    old_expired = make_token(case, TokenPurpose.CASE, "A" * 43, expires_in=-31 * DAY)
    new_expired = make_token(case, TokenPurpose.CASE, "B" * 43, expires_in=-29 * DAY)
    fresh = make_token(case, TokenPurpose.CASE, "C" * 43)
    old_revoked = make_token(case, TokenPurpose.CASE, "D" * 43, expires_in=300 * DAY)
    new_revoked = make_token(case, TokenPurpose.CASE, "E" * 43, expires_in=300 * DAY)
    AccessToken.objects.filter(pk=old_revoked.pk).update(revoked_at=timezone.now() - 31 * DAY)
    AccessToken.objects.filter(pk=new_revoked.pk).update(revoked_at=timezone.now() - DAY)

    assert access_tokens_purge() == 2

    left = set(AccessToken.objects.values_list("pk", flat=True))
    assert left == {new_expired.pk, fresh.pk, new_revoked.pk}
    assert old_expired.pk not in left
    assert Case.objects.filter(pk=case.pk).exists()
    assert AuditEvent.objects.get(action="intake.links_purged").data["count"] == 2


def test_a_purged_link_gets_the_same_page_as_an_expired_one() -> None:
    case = make_case()
    raw = "P" * 43
    make_token(case, TokenPurpose.CASE, raw, expires_in=-31 * DAY)
    path = f"/intake/c/{raw}/"

    def page() -> tuple[int, str]:
        response = Client().get(path)
        return response.status_code, re.sub(r'value="[^"]+"', "", response.content.decode())

    expired = page()
    assert access_tokens_purge() == 1
    purged = page()
    assert expired == purged
    assert expired[0] == 404
    assert "This link is not valid" in expired[1]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_retention_sweep(
    celery_worker: object, figure: Callable[..., None]
) -> None:
    """
    GIVEN an idle draft with a file, a recent draft and an old sent case, all committed
    WHEN the sweep is sent through the real broker to a real worker
    THEN only the idle draft and its file are gone
    """
    idle = make_draft()
    idle_doc = make_document(case=idle)
    _idle_for(idle, 45)
    recent = make_draft()
    sent = make_case()
    sent_doc = make_document(case=sent)
    _idle_for(sent, 400)

    started = time.monotonic()
    intake_retention_sweep.delay()
    deadline = started + 30
    while Case.objects.filter(pk=idle.pk).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    while _file_path(idle_doc).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.monotonic() - started

    assert not Case.objects.filter(pk=idle.pk).exists(), "the worker never purged the draft"
    assert not _file_path(idle_doc).exists()
    assert Case.objects.filter(pk__in=[recent.pk, sent.pk]).count() == 2
    assert _file_path(sent_doc).exists()
    assert AuditEvent.objects.filter(action="intake.drafts_purged").count() == 1
    figure("retention_sweep_roundtrip", seconds=f"{elapsed:.3f}")
