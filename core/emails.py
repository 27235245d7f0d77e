"""Core's own notification kinds (registered in ``CoreConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .notifications.kinds import Audience, NotificationKind, Reader, register
from .notifications.models import Notification


@register
class DeliveryFailed(NotificationKind):
    """Tells staff, once, that a message failed for good: its kind, id and error, no address."""

    name = "core.delivery_failed"
    template = "core-delivery-failed"
    audience = Audience.STAFF
    reason = _("You get this because you work on the concierge team.")

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        path = reverse("admin:core_notification_change", args=[about.pk])
        return {"failed": about, "admin_url": settings.SITE_URL + path}
