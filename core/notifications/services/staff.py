"""What staff do to one message from the admin: cancel it, or queue it again; audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User

from ..models import Notification, NotificationStatus
from .queueing import _nudge_on_commit

S = NotificationStatus


# --- Staff actions -----------------------------------------------------------------------
@transaction.atomic
def notification_cancel(*, notification: Notification, acting_user: User | None) -> Notification:
    """Cancel a queued, failed or in-flight message; audited."""
    locked = Notification.objects.select_for_update().get(pk=notification.pk)
    old = locked.transition_to(S.CANCELLED)
    locked.status_changed_at = timezone.now()
    locked.lease_token = ""
    locked.lease_expires_at = None
    locked.save()
    audit_event_record(
        action="core.notification.cancelled",
        acting_user=acting_user,
        target=locked,
        data={"kind": locked.kind, "from": old},
    )
    return locked


@transaction.atomic
def notification_resend(*, notification: Notification, acting_user: User | None) -> Notification:
    """Queue a failed or cancelled message again, due now, with its attempts reset."""
    locked = Notification.objects.select_for_update().get(pk=notification.pk)
    if locked.status not in (S.FAILED, S.CANCELLED):
        raise DomainError(
            _("Only a failed or cancelled message can be sent again."), code="not_resendable"
        )
    old = locked.transition_to(S.QUEUED)
    locked.attempts = 0
    locked.due_at = timezone.now()
    locked.status_changed_at = timezone.now()
    locked.last_error = ""
    locked.save()
    audit_event_record(
        action="core.notification.resent",
        acting_user=acting_user,
        target=locked,
        data={"kind": locked.kind, "from": old},
    )
    _nudge_on_commit()
    return locked
