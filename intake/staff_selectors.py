"""Concierge-side reads of patient data (the admin). Scoped to concierge staff.

Every read takes the acting user: anyone who is not active concierge staff
gets a 404 that carries no patient data, whatever the ids they guess.
"""

from __future__ import annotations

from django.http import Http404

from core.models import User

from .models import CaseDocument


def user_is_concierge(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_concierge)


def staff_document_or_404(
    *, user: User | None, case_id: object, document_id: object
) -> CaseDocument:
    """One document of one case for clinician reviewers; a 404 for anyone else or a mismatch.

    Records and imaging are clinical: concierge staff without the clinician
    role are refused like everyone else (core.models.Role.CLINICIAN).
    """
    if not (user_is_concierge(user) and user.is_clinician):  # type: ignore[union-attr]
        raise Http404
    try:
        case_pk, document_pk = int(str(case_id)), int(str(document_id))
    except ValueError:
        raise Http404 from None
    document = (
        CaseDocument.objects.select_related("case").filter(pk=document_pk, case_id=case_pk).first()
    )
    if document is None:
        raise Http404
    return document
