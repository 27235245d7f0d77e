"""A patient's PDF with a script is stored disarmed, and staff see what was removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import CaseDocument
from tests.core.pdf_corpus import active_content_left, print_script_report

from .files import pdf_bytes, pdf_with_javascript, upload
from .staff_factories import CaseDocumentFactory, CaseFactory
from .wizard_data import post_step, step_answers

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/intake/step/records/upload/"
XHR = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture
def draft_client(client: Client, knee: Any) -> Client:
    response = post_step(client, "about", step_answers(knee)["about"])
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    "data", [pdf_with_javascript(), print_script_report()], ids=["open-action", "print-script"]
)
def test_a_pdf_with_a_script_is_kept_without_it_and_marked_for_staff(
    draft_client: Client, private_media_root: Path, data: bytes
) -> None:
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "lab", "files": [upload("lab.pdf", data)]}, headers=XHR
    )
    assert response.status_code == 200, response.content
    document = CaseDocument.objects.get()
    assert document.metadata["active_content_removed"] == "javascript"
    stored = (private_media_root / str(document.file.name)).read_bytes()
    assert stored != data and active_content_left(stored) == []


def test_a_clean_pdf_is_not_marked(draft_client: Client) -> None:
    response = draft_client.post(
        UPLOAD_URL, {"doc_type": "lab", "files": [upload("lab.pdf", pdf_bytes())]}, headers=XHR
    )
    assert response.status_code == 200
    assert "active_content_removed" not in CaseDocument.objects.get().metadata


def test_staff_see_active_content_removed_on_the_case_page(client: Client, personas: Any) -> None:
    case = CaseFactory.create()
    CaseDocumentFactory.create(
        case=case,
        kind="pdf",
        metadata={"pages": "2", "active_content_removed": "javascript,launch"},
    )
    client.force_login(personas.clinician)  # the documents are listed for clinician reviewers
    page = client.get(reverse("admin:intake_case_change", args=[case.pk])).content.decode()
    assert "Active content removed" in page
    assert "scripts, commands that start programs" in page
