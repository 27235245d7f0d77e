"""Queueing and unqueueing inside the caller's transaction: what other apps' services call.

Its own module because it runs inside every business transaction that causes mail,
and the rest of the package builds on it without a cycle: a failed send queues its
staff alert with ``notify``, and the dispatcher and staff's resend reuse the nudge.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from core.models import User

from ..kinds import kind_for
from ..models import Notification, NotificationStatus

log = logging.getLogger(__name__)
S = NotificationStatus


def _cfg(name: str) -> Any:
    return getattr(settings, name)


# --- Creating ---------------------------------------------------------------------------
def notify(
    *,
    kind: str,
    dedupe_key: str,
    about: models.Model | None = None,
    to: User | str | None = None,
    due_at: datetime | None = None,
    language: str = "",
    time_zone: str = "",
    data: dict[str, Any] | None = None,
    priority: int = 5,
) -> Notification:
    """Queue one e-mail inside the caller's transaction; a second call with the
    same ``dedupe_key`` returns the first row and queues nothing.

    ``to`` is a user, a bare address, or None (the kind finds the reader from
    ``about`` at send time). Side effect: the dispatcher is nudged on commit.
    """
    if kind_for(kind) is None:
        raise ValueError(f"unknown notification kind {kind!r}: register it in AppConfig.ready()")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("a dedupe key of 1 to 200 characters is required")
    defaults: dict[str, Any] = {
        "kind": kind,
        "due_at": due_at or timezone.now(),
        "language": language,
        "time_zone": time_zone,
        "data": data or {},
        "priority": priority,
        "message_id": make_msgid(domain=_cfg("OUTBOX_MESSAGE_ID_DOMAIN")),
    }
    if isinstance(to, User):
        defaults["recipient_user"] = to
    elif isinstance(to, str):
        defaults["recipient_address"] = to
    if about is not None:
        defaults["about_type"] = ContentType.objects.get_for_model(about)
        defaults["about_id"] = str(about.pk)
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key, defaults=defaults
        )
    if created and notification.due_at <= timezone.now() + timedelta(seconds=1):
        _nudge_on_commit()
    return notification


def _nudge() -> None:
    from core.tasks import outbox_dispatch

    try:
        outbox_dispatch.apply_async(expires=60)
    except Exception as exc:  # the broker is down: beat's next tick finds the rows
        log.warning("outbox: nudge not sent (%s); beat will dispatch", type(exc).__name__)


def _nudge_on_commit() -> None:
    """One nudge per transaction, however many rows it queued."""
    if not _cfg("OUTBOX_NUDGE"):
        return
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(entry[1] is _nudge for entry in conn.run_on_commit):
        return
    transaction.on_commit(_nudge)


def notifications_cancel_about(*, about: models.Model, kinds: Iterable[str] | None = None) -> int:
    """Cancel every queued message about ``about`` (a withdrawn case, a cancelled booking).

    Call inside the service's transaction. A message already being sent is
    also asked at send time whether it is still wanted.
    """
    rows = Notification.objects.filter(
        about_type=ContentType.objects.get_for_model(about),
        about_id=str(about.pk),
        status__in=(S.QUEUED, S.FAILED),
    )
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    return rows.update(
        status=S.CANCELLED, status_changed_at=timezone.now(), last_error="no longer wanted"
    )
