"""A patient's export: every model that refers to a patient is in it, with their files.

The walk goes over ``django.apps.apps.get_models()`` and follows foreign keys to
``intake.Patient``, ``intake.Case`` or a patient's ``core.User``: a model added
later that refers to a patient fails this test until it is exported (a
``intake.patient_data`` source) and the rich patient has a row of it.
"""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
import zipfile
from collections import deque
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import AuditEvent
from intake.models import DataExport, DataExportStatus
from intake.patient_data import covered_models, staff_user_fields
from intake.services.data_export import data_export_build, data_export_request
from tests.conftest import Personas

from .factories import make_document
from .files import pdf_bytes
from .rights_data import MARK_FILE, MARK_NAME, MARK_TEXT, RichPatient, rich_patient

pytestmark = pytest.mark.django_db

TARGETS = {"intake.Patient", "intake.Case", "core.User"}


def _label(model: type[models.Model]) -> str:
    return str(model._meta.label)


def _base_label(model: type[models.Model]) -> str:
    """A simple-history model's declarations are its base model's."""
    base = getattr(model, "instance_type", None)
    return _label(base) if base is not None else _label(model)


def _edges(model: type[models.Model]) -> list[type[models.Model]]:
    staff = staff_user_fields()
    out = []
    for f in model._meta.concrete_fields:
        if not f.is_relation or f.related_model is None or f.related_model is ContentType:
            continue
        # The user who saved a version: staff or the system. A patient's own versions are
        # reached through the row's own keys.
        if f.name == "history_user" or f"{_base_label(model)}.{f.name}" in staff:
            continue
        out.append(f.related_model)
    return out


def patient_referring_models() -> set[str]:
    """Every model with a foreign-key path to a patient, a case, or a patient's login."""
    found = set()
    for model in apps.get_models():
        seen = {model}
        queue: deque[type[models.Model]] = deque([model])
        while queue:
            current = queue.popleft()
            if _label(current) in TARGETS:
                found.add(_label(model))
                break
            for nxt in _edges(current):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
    return found


def _build(rich: RichPatient, django_capture_on_commit_callbacks: Any) -> DataExport:
    with django_capture_on_commit_callbacks(execute=False):
        export = data_export_request(case=rich.case)
    built = data_export_build(export_id=export.pk)
    assert built is not None and built.status == DataExportStatus.READY
    return built


def _zip(export: DataExport) -> zipfile.ZipFile:
    with export.file.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


@pytest.fixture
def rich(personas: Personas) -> RichPatient:
    return rich_patient(clinic=personas.clinic_a, staff=personas.concierge)


def test_the_walk_finds_the_models_we_know_refer_to_a_patient() -> None:
    walked = patient_referring_models()
    for label in (
        "intake.CaseDocument",
        "consultations.TreatmentRecord",
        "followups.CheckInAnswer",
        "followups.AdverseEvent",
        "clinics.Review",
        "intake.HistoricalCase",
        "core.AuditEvent",
        "core.Notification",
    ):
        assert label in walked
    # Staff-only rows are not patient data.
    assert "clinics.Doctor" not in walked
    assert "consultations.ConsultationType" not in walked


def test_every_model_that_refers_to_a_patient_is_in_the_export(
    rich: RichPatient, django_capture_on_commit_callbacks: Any, figure: Any
) -> None:
    """
    GIVEN a patient with a row in every model that refers to a patient
    WHEN their export is built
    THEN data.json holds rows of every such model, and only this patient's.
    """
    export = _build(rich, django_capture_on_commit_callbacks)
    data = json.loads(_zip(export).read("data.json"))
    records = data["records"]
    walked = patient_referring_models()
    missing = sorted(label for label in walked if label not in records)
    assert not missing, (
        f"{missing} refer to a patient but are not exported: register them in a "
        f"intake.patient_data source (covered now: {sorted(covered_models())})"
    )
    empty = sorted(label for label in walked if not records[label])
    assert not empty, f"{empty}: give the rich patient (tests/intake/rights_data.py) a row"
    assert records["intake.Patient"][0]["full_name"] == MARK_NAME
    assert {r["case_id"] for r in records["intake.CaseDocument"]} == {rich.case.pk}
    figure(
        "rights.export",
        models=len(walked),
        rows=export.record_count,
        files=export.file_count,
        bytes=export.size,
    )


def test_the_export_holds_no_secrets_and_no_other_patient(
    rich: RichPatient, bob_case: Any, django_capture_on_commit_callbacks: Any
) -> None:
    archive = _zip(_build(rich, django_capture_on_commit_callbacks))
    text = archive.read("data.json").decode() + archive.read("index.html").decode()
    assert "Bob Baker" not in text and "Bob's private symptoms" not in text
    assert "token_hash" not in text and "JBSWY3DPEHPK3PXP" not in text and "k" * 64 not in text
    audit = json.loads(archive.read("data.json"))["records"]["core.AuditEvent"]
    assert audit and set(audit[0]) == {
        "id",
        "created_at",
        "action",
        "actor",
        "actor_id",
        "clinic_id",
        "target",
        "target_id",
    }


def test_the_files_are_the_originals_as_stored(
    rich: RichPatient, django_capture_on_commit_callbacks: Any
) -> None:
    archive = _zip(_build(rich, django_capture_on_commit_callbacks))
    names = [n for n in archive.namelist() if n.startswith("files/")]
    assert names == [f"files/{rich.case.reference}/{rich.document.pk}-{MARK_TEXT}.pdf"]
    body = archive.read(names[0])
    assert hashlib.sha256(body).hexdigest() == rich.document.sha256
    assert MARK_FILE.encode() in body


def test_index_html_is_readable_in_the_patients_language(
    rich: RichPatient, django_capture_on_commit_callbacks: Any
) -> None:
    rich.patient.language = "es"
    rich.patient.save()
    page = _zip(_build(rich, django_capture_on_commit_callbacks)).read("index.html").decode()
    assert '<html lang="es" dir="ltr">' in page
    assert "fecha de nacimiento" in page  # a field name, in Spanish
    assert MARK_TEXT in page and MARK_NAME in page
    assert "<script" not in page


def test_the_export_is_audited_requested_and_built(
    rich: RichPatient, django_capture_on_commit_callbacks: Any
) -> None:
    export = _build(rich, django_capture_on_commit_callbacks)
    actions = list(
        AuditEvent.objects.filter(action__startswith="intake.data_export")
        .values_list("action", flat=True)
        .order_by("pk")
    )
    assert actions == ["intake.data_export_requested", "intake.data_export_built"]
    built = AuditEvent.objects.get(action="intake.data_export_built")
    assert built.data == {
        "export_id": export.pk,
        "files": 1,
        "records": export.record_count,
        "bytes": export.size,
    }


def test_asking_twice_while_it_is_built_gives_the_same_export(
    rich: RichPatient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = data_export_request(case=rich.case)
        second = data_export_request(case=rich.case)
    assert first.pk == second.pk
    assert len(callbacks) == 1  # one build enqueued


def test_a_second_worker_finds_the_export_claimed(
    rich: RichPatient, django_capture_on_commit_callbacks: Any
) -> None:
    export = _build(rich, django_capture_on_commit_callbacks)
    assert data_export_build(export_id=export.pk) is None


def test_memory_stays_flat_for_a_large_file(
    rich: RichPatient, django_capture_on_commit_callbacks: Any, figure: Any
) -> None:
    big = pdf_bytes("large") + b"%" + b"x" * (48 * 1024 * 1024) + b"\n"
    make_document(case=rich.case, data=big, original_name="large.pdf")
    with django_capture_on_commit_callbacks(execute=False):
        export = data_export_request(case=rich.case)
    tracemalloc.start()
    try:
        built = data_export_build(export_id=export.pk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert built is not None and built.file_count == 2
    peak_mb = round(peak / 2**20, 2)
    assert peak_mb < 16
    figure("rights.export_memory", file_mb=48, peak_mb=peak_mb)
