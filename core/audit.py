"""The one way to write the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from . import net
from .models import AuditEvent, User


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address, decided in one place for every consumer (``core.net``)."""
    return net.client_ip(request)


def audit_event_record(
    *,
    action: str,
    acting_user: User | None,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    actor_label: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row; call it inside the service's transaction."""
    if actor_label is None:
        actor_label = acting_user.email if acting_user is not None else "system"
    return AuditEvent.objects.create(
        actor=acting_user if acting_user is not None and acting_user.pk else None,
        actor_label=actor_label[:254],
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        ip_address=client_ip(request),
        data=data or {},
    )
