"""Who looked at which case or document: one audit row per page view or download.

Staff and clinic users are the actor by account; a patient is the actor
``patient`` (they hold a magic link, not an account) and the row is filed under
their case. Each call is one INSERT: atomic by itself, and inside the caller's
transaction when there is one. Ids only, never what the page showed.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from clinics.models import Clinic
from core.audit import access_record, audit_event_record
from core.models import User

from ..models import Case, CaseDocument


@transaction.atomic
def document_download_record(
    *,
    document: CaseDocument,
    acting_user: User | None,
    request: HttpRequest | None = None,
    clinic: Clinic | None = None,
) -> None:
    """Audit a download by staff or the patient (``intake.document_downloaded``) or a
    clinic (``portal.document_downloaded``). ``acting_user`` None: the patient."""
    data: dict[str, object] = {
        "reference": document.case.reference,
        "document_id": document.pk,
        "doc_type": document.doc_type,
        "kind": document.kind,
    }
    if clinic is not None:
        data["clinic"] = clinic.pk
    audit_event_record(
        action="portal.document_downloaded" if clinic is not None else "intake.document_downloaded",
        acting_user=acting_user,
        target=document.case,
        request=request,
        actor_label=None if acting_user is not None else "patient",
        data=data,
    )


@transaction.atomic
def case_view_record(
    *, case: Case, acting_user: User, clinic: Clinic, request: HttpRequest | None = None
) -> None:
    """Audit a clinic user opening a shared case (``portal.case_viewed``)."""
    audit_event_record(
        action="portal.case_viewed",
        acting_user=acting_user,
        target=case,
        request=request,
        data={"reference": case.reference, "clinic": clinic.pk},
    )


def case_page_view_record(*, case: Case, request: HttpRequest) -> None:
    """Audit the patient opening their own case page (``intake.case_viewed``)."""
    access_record(
        action="intake.case_viewed",
        target=case,
        request=request,
        data={"reference": case.reference},
    )
