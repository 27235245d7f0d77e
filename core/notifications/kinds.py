"""Kinds of notification: what each e-mail says, to whom, and whether it is still wanted.

Each app declares its kinds in its own ``notifications.py`` and registers them
from ``AppConfig.ready()``; the outbox knows them only by name, so ``core``
never imports an app above it. A kind works from ids at send time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Notification


@dataclass(frozen=True)
class Reader:
    """Who reads a message, in which language and zone."""

    email: str
    language: str = ""
    time_zone: str = ""

    def resolved_language(self) -> str:
        codes = {code for code, _name in settings.LANGUAGES}
        return self.language if self.language in codes else settings.LANGUAGE_CODE

    def resolved_time_zone(self) -> str:
        return self.time_zone or settings.TIME_ZONE


@dataclass
class Attachment:
    filename: str
    content: bytes | str
    mimetype: str


@dataclass
class Extras:
    """Headers and attachments a kind adds to its message."""

    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


class Audience(models.TextChoices):
    PATIENT = "patient", _("patient")
    CLINIC = "clinic", _("clinic staff")
    STAFF = "staff", _("concierge staff")


class NotificationKind:
    """Base for a kind. Subclasses set ``name``, ``template`` and ``audience``.

    ``template`` names ``templates/emails/<template>-subject.txt``, ``-body.txt``
    and ``-body.html``; the bodies extend ``emails/base.txt`` / ``emails/base.html``.
    """

    name: ClassVar[str]
    template: ClassVar[str]
    audience: ClassVar[Audience] = Audience.PATIENT
    # The layout's footer: why the reader gets this message.
    reason: ClassVar[Any] = ""

    def about(self, notification: Notification) -> Any:
        """The object the notification is about, or None if it is gone."""
        if hasattr(notification, PREFETCHED):  # loaded with its chunk (prefetch_abouts)
            return getattr(notification, PREFETCHED)
        if notification.about_type is None:
            return None
        model = notification.about_type.model_class()
        if model is None:
            return None
        return self.about_queryset(model).filter(pk=notification.about_id).first()

    def about_queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return model._default_manager.all()

    def about_many(self, notifications: list[Notification]) -> dict[int, Any]:
        """``about()`` for several notifications of this kind at once: one query per model,
        not one per message. Maps each notification's id to its object (absent: gone)."""
        wanted: dict[int, dict[Any, list[int]]] = {}
        models_by_type: dict[int, type[models.Model]] = {}
        for notification in notifications:
            about_type = notification.about_type
            model = about_type.model_class() if about_type is not None else None
            if about_type is None or model is None:
                continue
            models_by_type[about_type.pk] = model
            pk = model._meta.pk.to_python(notification.about_id)  # type: ignore[union-attr]
            wanted.setdefault(about_type.pk, {}).setdefault(pk, []).append(notification.pk)
        found: dict[int, Any] = {}
        for type_id, by_pk in wanted.items():
            objects = self.about_queryset(models_by_type[type_id]).in_bulk(list(by_pk))
            for pk, obj in objects.items():
                for notification_id in by_pk[pk]:
                    found[notification_id] = obj
        return found

    def prepare_chunk(self, notifications: list[Notification]) -> None:
        """Called once per chunk, after ``about_many`` and before any message of it is sent,
        with the chunk's rows of this kind: work ``context()`` would otherwise do one
        message at a time, done for all at once (a chunk's links in one INSERT). Runs
        outside any transaction; a row it prepares may still be skipped or cancelled."""

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        """Asked at send time; False cancels the message (e.g. a cancelled booking)."""
        return about is not None or notification.about_type_id is None

    def reader(self, notification: Notification, about: Any) -> Reader | None:
        """The recipient at send time; None means there is nobody to send to."""
        user = notification.recipient_user
        if user is not None:
            if not user.is_active:
                return None
            return Reader(
                user.email,
                notification.language or user.language,
                notification.time_zone or str(user.time_zone),
            )
        if notification.recipient_address:
            return Reader(
                notification.recipient_address, notification.language, notification.time_zone
            )
        return None

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        """The template context. May issue a link for this notification (see the kind)."""
        return {"about": about}

    def extras(self, notification: Notification, about: Any, reader: Reader) -> Extras:
        return Extras()

    def footer_reason(self, notification: Notification, about: Any) -> Any:
        return self.reason


_REGISTRY: dict[str, NotificationKind] = {}
PREFETCHED = "_prefetched_about"


def _by_kind(
    notifications: list[Notification],
) -> list[tuple[NotificationKind, list[Notification]]]:
    groups: dict[str, list[Notification]] = {}
    for notification in notifications:
        groups.setdefault(notification.kind, []).append(notification)
    return [(kind, group) for name, group in groups.items() if (kind := kind_for(name)) is not None]


def prefetch_abouts(notifications: list[Notification]) -> None:
    """Load what a chunk of notifications is about in one query per kind and model.

    A worker sends a chunk within a second or two of loading it, and each kind still
    asks ``is_wanted`` of the object just before its own message goes.
    """
    for kind, group in _by_kind(notifications):
        found = kind.about_many(group)
        for notification in group:
            setattr(notification, PREFETCHED, found.get(notification.pk))


def prepare_chunk(notifications: list[Notification]) -> None:
    """Load what a chunk is about (``prefetch_abouts``), then let each kind prepare its rows."""
    prefetch_abouts(notifications)
    for kind, group in _by_kind(notifications):
        kind.prepare_chunk(group)


def register(kind: type[NotificationKind]) -> type[NotificationKind]:
    """Class decorator: make ``kind`` known to the outbox by its name."""
    existing = _REGISTRY.get(kind.name)
    # A module re-imported (autoreload) re-registers the same class: that is fine.
    if existing is not None and type(existing).__qualname__ != kind.__qualname__:
        raise ValueError(f"two notification kinds are named {kind.name!r}")
    _REGISTRY[kind.name] = kind()
    return kind


def kind_for(name: str) -> NotificationKind | None:
    return _REGISTRY.get(name)


def registered_kinds() -> dict[str, NotificationKind]:
    return dict(_REGISTRY)
