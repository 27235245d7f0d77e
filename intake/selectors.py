"""Patient-side reads. A patient is whoever holds a valid link bound to this session.

Every view of patient data goes through here: a case the session holds no
live link for is a 404 that carries none of its data.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest

from .models import (
    AccessToken,
    Case,
    CaseDocument,
    CaseMessage,
    ClinicShare,
    Proposal,
    ProposalStatus,
    ProposedClinic,
    TokenPurpose,
)
from .services.tokens import access_token_lookup

# Session keys. The draft key holds a case id; the case map holds
# {reference: access-token id} so revoking a link ends the session's access too.
SESSION_DRAFT = "intake_draft_id"
SESSION_CASES = "intake_case_links"
SESSION_DONE = "intake_done_reference"
SESSION_STASH = "intake_stash"


def case_for_token(*, raw_token: str, purpose: str) -> Case | None:
    token = access_token_lookup(raw_token=raw_token, purpose=purpose)
    return token.case if token else None


def draft_for_session(request: HttpRequest) -> Case | None:
    """The draft this browser is filling in, if it is still a draft."""
    case_id = request.session.get(SESSION_DRAFT)
    if not isinstance(case_id, int):
        return None
    case = (
        Case.objects.select_related("patient", "preferred_clinic", "condition")
        .filter(pk=case_id, status="draft")
        .first()
    )
    if case is None:
        request.session.pop(SESSION_DRAFT, None)
    return case


def _session_case_or_404(*, request: HttpRequest, reference: str) -> Case:
    """The submitted case ``reference`` if this session holds a live case link for it.

    A link that no longer works (revoked, expired, gone, or for a case never
    submitted) leaves the session; the case's state is for the callers to judge.
    """
    links = request.session.get(SESSION_CASES) or {}
    token_id = links.get(reference) if isinstance(links, dict) else None
    if not isinstance(token_id, int):
        raise Http404
    token = (
        AccessToken.objects.select_related("case", "case__patient", "case__condition")
        .filter(pk=token_id, purpose=TokenPurpose.CASE, case__reference=reference)
        .first()
    )
    if token is None or not token.is_usable() or not token.case.is_submitted:
        links.pop(reference, None)
        request.session[SESSION_CASES] = links
        raise Http404
    return token.case


def patient_case_or_404(*, request: HttpRequest, reference: str) -> Case:
    """The case ``reference`` if this session holds a live case link for it and it is open.

    The case page and everything that can change a case (uploads, sharing,
    questions, withdrawal, bookings) go through here. A closed or withdrawn case
    is a 404 here, but its link stays in the session: it still opens the
    patient's rights (``patient_rights_case_or_404``).
    """
    case = _session_case_or_404(request=request, reference=reference)
    if not case.is_open:
        raise Http404
    return case


def patient_rights_case_or_404(*, request: HttpRequest, reference: str) -> Case:
    """The case ``reference`` for the patient's rights (a copy of their data, erasure).

    Every check of ``patient_case_or_404`` (a live case link bound to this
    session, for this reference) but the case may also be closed or withdrawn:
    that is when a patient most wants their data, or wants it gone. A draft (or a
    draft withdrawn without ever being sent) is still refused.
    """
    return _session_case_or_404(request=request, reference=reference)


def documents_for_case(*, case: Case) -> QuerySet[CaseDocument]:
    return CaseDocument.objects.filter(case=case).order_by("uploaded_at", "id")


def document_for_case_or_404(*, case: Case, document_id: int) -> CaseDocument:
    document = documents_for_case(case=case).filter(pk=document_id).select_related("case").first()
    if document is None:
        raise Http404
    return document


def sent_proposal_for_case(*, case: Case) -> Proposal | None:
    items = ProposedClinic.objects.select_related("clinic", "offering").order_by("position", "id")
    return (
        Proposal.objects.filter(case=case, status=ProposalStatus.SENT)
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("-sent_at")
        .first()
    )


def active_shares_for_case(*, case: Case) -> QuerySet[ClinicShare]:
    return ClinicShare.objects.active().filter(case=case).select_related("clinic")


def messages_for_case(*, case: Case) -> QuerySet[CaseMessage]:
    return CaseMessage.objects.filter(case=case).order_by("created_at", "id")


def case_consents_to_share(*, case: Case) -> bool:
    """Whether the patient agreed to share this case with clinics they choose."""
    return case.consents.filter(share_with_chosen_clinics=True).exists()
