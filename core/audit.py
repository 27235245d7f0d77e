"""The one way to write the audit trail, and to read a record's trail back."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from django.http import HttpRequest

from . import net
from .models import AuditEvent, User
from .privacy import subject_of, subjects_within

# The actor of a patient's own look or change: they hold a magic link, not an
# account. The row's subject says which case.
PATIENT_ACTOR = "patient"


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
    """Append one audit row; call it inside the service's transaction.

    The row is filed under the target's subject (``core.privacy.subject_of``):
    a document's row under its case, so the case's trail shows it.
    """
    if actor_label is None:
        actor_label = acting_user.email if acting_user is not None else "system"
    subject_model, subject_pk = subject_of(target) if target is not None else (None, None)
    return AuditEvent.objects.create(
        actor=acting_user if acting_user is not None and acting_user.pk else None,
        actor_label=actor_label[:254],
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        subject_type=(
            ContentType.objects.get_for_model(subject_model) if subject_model is not None else None
        ),
        subject_id=str(subject_pk) if subject_pk is not None else "",
        ip_address=client_ip(request),
        data=data or {},
    )


def access_record(
    *,
    action: str,
    target: models.Model,
    request: HttpRequest,
    acting_user: User | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a look at patient data (a page, a download) in the current transaction.

    ``acting_user`` is the signed-in staff or clinic user; without one the actor is
    the patient holding the magic link (label ``patient``; the row's subject is
    their case). ``data`` holds ids and field names only, never what was shown.
    """
    return audit_event_record(
        action=action,
        acting_user=acting_user,
        target=target,
        request=request,
        actor_label=None if acting_user is not None else PATIENT_ACTOR,
        data=data,
    )


def trail_filter(obj: models.Model) -> Q:
    """The audit rows about ``obj`` and everything filed under it (a patient's cases)."""
    condition = Q(subject_type=ContentType.objects.get_for_model(obj), subject_id=str(obj.pk))
    for model, rows in subjects_within(obj):
        condition |= Q(
            subject_type=ContentType.objects.get_for_model(model),
            subject_id__in=rows.annotate(pk_text=Cast("pk", models.CharField())).values("pk_text"),
        )
    return condition
