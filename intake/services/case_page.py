"""What a patient does on their case page: share, revoke, ask, withdraw."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User
from core.notifications.services import notify

from ..models import Case, CaseMessage, CaseStatus, ClinicShare, MessageSender
from .tokens import access_tokens_revoke
from .transitions import _set_status


def shareable_clinic_ids(case: Case) -> set[int]:
    """Clinics a patient may open their case to: the ones we proposed, and the one they chose.

    Only vetted clinics: a suspended clinic must not receive new patient data.
    """
    ids: set[int] = set(
        case.proposals.filter(status="sent").values_list("items__clinic_id", flat=True)
    )
    if case.preferred_clinic_id:
        ids.add(case.preferred_clinic_id)
    ids.discard(None)  # type: ignore[arg-type]
    return set(Clinic.objects.public().filter(pk__in=ids).values_list("pk", flat=True))


def _lock_submitted(case: Case) -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.is_draft or not locked.is_open:
        raise DomainError(_("This case is not open."), code="not_open")
    return locked


@transaction.atomic
def clinic_share_grant(
    *,
    case: Case,
    clinic: Clinic,
    acting_user: User | None = None,
    request: HttpRequest | None = None,
) -> ClinicShare:
    """The patient lets one clinic see their case. Granting twice is harmless."""
    locked = _lock_submitted(case)
    if not locked.consents.filter(share_with_chosen_clinics=True).exists():
        raise DomainError(_("Sharing needs your consent first."), code="no_consent")
    if clinic.pk not in shareable_clinic_ids(locked):
        raise DomainError(
            _("You can share your case only with clinics we proposed to you."), code="not_shareable"
        )
    existing = ClinicShare.objects.active().filter(case=locked, clinic=clinic).first()
    if existing is not None:
        return existing
    share = ClinicShare(case=locked, clinic=clinic, granted_at=timezone.now())
    share.full_clean()
    share.save()
    audit_event_record(
        action="case.share_granted",
        acting_user=acting_user,
        target=locked,
        request=request,
        actor_label=None if acting_user else "patient",
        data={"clinic": clinic.pk, "share": share.pk},
    )
    return share


@transaction.atomic
def clinic_share_revoke(
    *,
    case: Case,
    clinic: Clinic,
    acting_user: User | None = None,
    request: HttpRequest | None = None,
) -> int:
    """The patient withdraws one clinic's access. Returns how many shares ended (0 or 1)."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    count = ClinicShare.objects.active().filter(case=locked, clinic=clinic).update(revoked_at=now)
    if count:
        audit_event_record(
            action="case.share_revoked",
            acting_user=acting_user,
            target=locked,
            request=request,
            actor_label=None if acting_user else "patient",
            data={"clinic": clinic.pk},
        )
    return count


@transaction.atomic
def case_message_send(
    *,
    case: Case,
    body: str,
    acting_user: User | None = None,
    request: HttpRequest | None = None,
) -> CaseMessage:
    """A patient's question to the concierge; staff get an e-mail (reference only), queued."""
    locked = _lock_submitted(case)
    message = CaseMessage(case=locked, sender=MessageSender.PATIENT, body=body.strip())
    message.full_clean()
    message.save()
    audit_event_record(
        action="case.message_sent",
        acting_user=acting_user,
        target=locked,
        request=request,
        actor_label=None if acting_user else "patient",
        data={"message": message.pk},
    )
    notify(
        kind="intake.patient_message",
        dedupe_key=f"intake.patient_message:{message.pk}",
        about=message,
        to=settings.CONCIERGE_EMAIL,
    )
    return message


@transaction.atomic
def case_withdraw(
    *, case: Case, acting_user: User | None = None, request: HttpRequest | None = None
) -> Case:
    """Withdraw a case: links stop working and every clinic loses access at once."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    old = locked.status
    _set_status(case=locked, to_status=CaseStatus.WITHDRAWN)
    locked.full_clean()
    locked.save()
    access_tokens_revoke(case=locked, acting_user=acting_user)
    ended = ClinicShare.objects.active().filter(case=locked).update(revoked_at=timezone.now())
    audit_event_record(
        action="case.status_changed",
        acting_user=acting_user,
        target=locked,
        request=request,
        actor_label=None if acting_user else "patient",
        data={
            "reference": locked.reference,
            "from": old,
            "to": CaseStatus.WITHDRAWN,
            "shares_revoked": ended,
        },
    )
    return locked
