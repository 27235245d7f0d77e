"""Sending the intake: one case, once, with flags; its e-mails queued in the outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.notifications.services import notify

from ..models import Case, CaseStatus, TokenPurpose
from ..steps import STEPS
from .drafts import intake_missing_steps
from .tokens import access_tokens_revoke
from .transitions import _set_status
from .triage import case_triage_refresh


@transaction.atomic(durable=True)
def intake_submit(
    *, case_id: int, acting_user: User | None = None, request: HttpRequest | None = None
) -> Case:
    """Submit a draft; idempotent. Returns the case (already submitted: unchanged).

    The row lock makes a double click safe: the second request waits for the
    first, then sees a case that is no longer a draft and returns it as is.
    Side effects: the acknowledgement to the patient and a notice to staff are
    queued in the outbox in this transaction (sent after commit).
    """
    case = Case.objects.select_for_update().select_related("patient").get(pk=case_id)
    if not case.is_draft:
        if case.status == CaseStatus.WITHDRAWN:
            raise DomainError(_("This assessment was withdrawn."), code="withdrawn")
        return case
    missing = intake_missing_steps(case)
    if missing:
        titles = [str(s.title) for s in STEPS if s.name in missing]
        raise DomainError(
            _("Some answers are missing: %(steps)s.") % {"steps": ", ".join(titles)},
            code="incomplete",
        )
    case = case_triage_refresh(case=case, acting_user=acting_user)
    to_status = CaseStatus.CLINICIAN_REVIEW if case.has_hard_contraindication else CaseStatus.NEW
    _set_status(case=case, to_status=to_status)
    case.submitted_at = timezone.now()
    case.draft_step = ""
    case.full_clean()
    case.save()
    # The draft's resume links have done their job; the case link comes by email.
    access_tokens_revoke(case=case, acting_user=acting_user, purpose=TokenPurpose.RESUME)
    audit_event_record(
        action="intake.submitted",
        acting_user=acting_user,
        target=case,
        request=request,
        actor_label=None if acting_user else "patient",
        data={"reference": case.reference, "status": to_status, "flags": case.triage_flags},
    )
    # The patient's address is not copied: the kind finds it from the case at send time.
    notify(
        kind="intake.acknowledgement", dedupe_key=f"intake.acknowledgement:{case.pk}", about=case
    )
    notify(
        kind="intake.new_case",
        dedupe_key=f"intake.new_case:{case.pk}",
        about=case,
        to=settings.CONCIERGE_EMAIL,
        priority=3 if case.has_hard_contraindication else 5,
    )
    return case
