"""A patient asks us to e-mail them a link: queue the message, nothing more.

The link itself is issued when the message is sent (the kind's ``context()``),
so no raw token waits in the database or the broker. Each request is its own
business event, so its dedupe key carries a fresh uuid: asking twice sends
twice (the view's rate limit bounds it).
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpRequest

from core.audit import audit_event_record
from core.models import Notification, User
from core.notifications.services import notify

from ..models import CLOSED_STATUSES, Case, CaseStatus

# Only a few cases of one address get a link per request: the open ones first.
LINK_REQUEST_MAX_CASES = 5


def _queue(
    *, case: Case, kind: str, acting_user: User | None, request: HttpRequest | None
) -> Notification:
    notification = notify(kind=kind, dedupe_key=f"{kind}:{case.pk}:{uuid.uuid4().hex}", about=case)
    audit_event_record(
        action="intake.link_requested",
        acting_user=acting_user,
        target=case,
        request=request,
        actor_label=None if acting_user else "patient",
        data={"kind": kind, "notification": notification.pk},
    )
    return notification


@transaction.atomic
def resume_link_request(
    *, case: Case, acting_user: User | None = None, request: HttpRequest | None = None
) -> Notification | None:
    """Queue an e-mail with a link to continue ``case`` (a draft) on another device.

    Returns None for a case that is no longer a draft. Side effects: an outbox
    row, an audit row.
    """
    if case.status != CaseStatus.DRAFT:
        return None
    return _queue(case=case, kind="intake.resume_link", acting_user=acting_user, request=request)


@transaction.atomic
def access_links_request(
    *, email: str, acting_user: User | None = None, request: HttpRequest | None = None
) -> int:
    """'I lost my link': queue a fresh link for each of up to five cases of ``email``.

    Open cases (drafts and those in progress) come first, then ended ones, each
    newest first: a new closed case never pushes out an older open one. A draft
    gets a resume link, a submitted case a case-page link, closed and withdrawn
    ones included: their page still lets the patient download their data or ask
    for erasure (and nothing else). Returns how many were queued; the
    caller must answer the same whatever it is, so the form never reveals whether
    we know an address.
    """
    theirs = Case.objects.filter(patient__email__iexact=email.strip()).filter(
        # A draft withdrawn before it was ever sent has no case page.
        Q(status=CaseStatus.DRAFT) | Q(submitted_at__isnull=False)
    )
    # False sorts before True: open cases first, then ended ones, each newest first.
    ended = ExpressionWrapper(Q(status__in=CLOSED_STATUSES), output_field=BooleanField())
    ordered = theirs.alias(ended=ended).order_by("ended", "-created_at", "-pk")
    cases = list(ordered[:LINK_REQUEST_MAX_CASES])
    for case in cases:
        kind = "intake.resume_link" if case.is_draft else "intake.case_link"
        _queue(case=case, kind=kind, acting_user=acting_user, request=request)
    return len(cases)
