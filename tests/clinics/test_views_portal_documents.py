"""Credential documents in the portal: who may download, and what an upload may be."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clinics.models import Credential, CredentialStatus
from tests.conftest import Personas
from tests.core.pdf_corpus import user_password
from tests.core.upload_samples import EXE, png, upload

from .factories import PDF_BYTES, CredentialFactory
from .web_helpers import login

pytestmark = pytest.mark.django_db


def doc_url(credential: Credential) -> str:
    return f"/portal/credential-documents/{credential.pk}/"


@pytest.fixture
def credentials(personas: Personas) -> dict[str, Credential]:
    return {
        "a": cast(
            Credential,
            CredentialFactory(clinic=personas.clinic_a, document_name="alfa-licence-scan.pdf"),
        ),
        "b": cast(
            Credential,
            CredentialFactory(
                clinic=personas.clinic_b,
                issuer="Beta Health Authority",
                document_name="beta-licence-scan.pdf",
            ),
        ),
    }


# --- Downloads -------------------------------------------------------------------------------
def test_an_anonymous_request_for_a_document_is_a_404(
    client: Client, credentials: dict[str, Credential]
) -> None:
    response = client.get(doc_url(credentials["a"]))
    assert response.status_code == 404
    assert PDF_BYTES not in response.content


def test_a_patient_gets_a_404(
    client: Client, personas: Personas, credentials: dict[str, Credential]
) -> None:
    login(client, personas.alice)
    assert client.get(doc_url(credentials["a"])).status_code == 404


def test_clinic_a_cannot_download_clinic_bs_document(
    client: Client, personas: Personas, credentials: dict[str, Credential]
) -> None:
    login(client, personas.clinic_a_staff)
    response = client.get(doc_url(credentials["b"]))
    assert response.status_code == 404
    body = response.content
    assert PDF_BYTES not in body and b"Beta" not in body and b"beta-licence" not in body


def test_an_unknown_id_is_a_404(client: Client, personas: Personas) -> None:
    login(client, personas.concierge)
    assert client.get("/portal/credential-documents/999999/").status_code == 404


@pytest.mark.parametrize("who", ["concierge", "clinic_a_staff"])
def test_staff_and_the_clinics_own_staff_download_it_as_an_attachment(
    client: Client, personas: Personas, credentials: dict[str, Credential], who: str
) -> None:
    login(client, getattr(personas, who))
    credential = credentials["a"]
    response = client.get(doc_url(credential))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # The server chooses the name; the uploaded name never comes back.
    assert f"credential-{credential.pk}-medical_licence.pdf" in disposition
    assert "alfa-licence-scan" not in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]


def test_the_portal_lists_documents_without_exposing_storage_names(
    client: Client, personas: Personas, credentials: dict[str, Credential]
) -> None:
    login(client, personas.clinic_a_staff)
    body = client.get(f"/portal/{personas.clinic_a.slug}/credentials/").content.decode()
    assert doc_url(credentials["a"]) in body
    assert str(credentials["a"].document.name) not in body
    assert doc_url(credentials["b"]) not in body and "Beta Health Authority" not in body


# --- Uploads -----------------------------------------------------------------------------------
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def post_upload(client: Client, personas: Personas, document: SimpleUploadedFile) -> str:
    response = client.post(
        f"/portal/{personas.clinic_a.slug}/credentials/new/",
        {
            "kind": "medical_licence",
            "issuer": "COFEPRIS",
            "number": "LIC-77",
            "issued_on": "2026-01-01",
            "expires_on": "2028-01-01",
            "document": document,
        },
    )
    assert response.status_code == 200, "a refused upload re-renders the form"
    return response.content.decode()


def _field_error(body: str) -> str:
    """The error text shown next to the document field (crispy renders it after the input)."""
    start = body.index('id="div_id_document"')
    return body[start : start + 3000]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("licence.pdf", EXE, "is a program"),
        ("licence.pdf", SVG_WITH_SCRIPT, "svg drawings"),
        ("licence.svg", SVG_WITH_SCRIPT, "svg drawings"),
        ("licence.pdf", b"", "empty"),
        ("licence.pdf", user_password(), "unlocked copy"),
    ],
)
def test_a_dangerous_or_empty_upload_is_refused_next_to_the_field_and_nothing_is_stored(
    client: Client,
    personas: Personas,
    private_media_root: Path,
    name: str,
    data: bytes,
    expected: str,
) -> None:
    login(client, personas.clinic_a_staff)
    body = post_upload(client, personas, upload(data, name))
    near_field = _field_error(body)
    assert "invalid-feedback" in near_field or "errorlist" in near_field
    assert expected in near_field.lower()
    assert not Credential.objects.filter(clinic=personas.clinic_a).exists()
    assert stored_files(private_media_root) == []


def test_a_60_mb_upload_is_refused_with_a_clear_message_and_nothing_stored(
    client: Client,
    personas: Personas,
    private_media_root: Path,
) -> None:
    login(client, personas.clinic_a_staff)
    big = PDF_BYTES + b"%" + b"0" * (60 * 1024 * 1024)
    body = post_upload(client, personas, upload(big, "huge.pdf"))
    near_field = _field_error(body)
    assert "larger than" in near_field.lower() or "too large" in near_field.lower()
    assert not Credential.objects.filter(clinic=personas.clinic_a).exists()
    assert stored_files(private_media_root) == []


def test_a_real_pdf_or_image_is_stored_privately_and_awaits_verification(
    client: Client,
    personas: Personas,
    private_media_root: Path,
) -> None:
    login(client, personas.clinic_a_staff)
    for name, data in (("licence.pdf", PDF_BYTES), ("scan.png", png())):
        response = client.post(
            f"/portal/{personas.clinic_a.slug}/credentials/new/",
            {
                "kind": "insurance",
                "issuer": f"Insurer {name}",
                "issued_on": "2026-01-01",
                "expires_on": "2027-06-01",
                "document": upload(data, name),
            },
            follow=True,
        )
        assert "Our staff will verify it" in response.content.decode()
    stored = Credential.objects.filter(clinic=personas.clinic_a).order_by("pk")
    assert [c.status for c in stored] == [CredentialStatus.PENDING] * 2
    assert [c.document_kind for c in stored] == ["pdf", "png"]
    for credential in stored:
        stored_name = str(credential.document.name)
        assert stored_name.startswith("clinics/credentials/")
        assert "licence" not in stored_name and "scan" not in stored_name
    assert len(stored_files(private_media_root)) == 2


def test_an_expiry_before_the_issue_date_is_refused(
    client: Client, personas: Personas, private_media_root: Path
) -> None:
    login(client, personas.clinic_a_staff)
    response = client.post(
        f"/portal/{personas.clinic_a.slug}/credentials/new/",
        {
            "kind": "insurance",
            "issuer": "Insurer",
            "issued_on": "2026-01-01",
            "expires_on": "2025-01-01",
            "document": upload(PDF_BYTES, "a.pdf"),
        },
    )
    assert "The expiry date cannot be before the issue date." in response.content.decode()
    assert stored_files(private_media_root) == []
