"""Who looked at which patient document: one audit row per download or case view."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from clinics.models import Clinic
from core.audit import audit_event_record
from core.models import User

from ..models import Case, CaseDocument


@transaction.atomic
def document_download_record(
    *, document: CaseDocument, acting_user: User, request: HttpRequest | None = None,
    clinic: Clinic | None = None,
) -> None:
    """Audit a download by staff (``intake.document_downloaded``) or a clinic (``portal.…``)."""
    data: dict[str, object] = {
        "reference": document.case.reference, "document_id": document.pk,
        "doc_type": document.doc_type, "kind": document.kind,
    }
    if clinic is not None:
        data["clinic"] = clinic.pk
    audit_event_record(
        action="portal.document_downloaded" if clinic is not None else "intake.document_downloaded",
        acting_user=acting_user, target=document.case, request=request, data=data,
    )


@transaction.atomic
def case_view_record(
    *, case: Case, acting_user: User, clinic: Clinic, request: HttpRequest | None = None
) -> None:
    """Audit a clinic user opening a shared case (``portal.case_viewed``)."""
    audit_event_record(
        action="portal.case_viewed", acting_user=acting_user, target=case, request=request,
        data={"reference": case.reference, "clinic": clinic.pk},
    )
