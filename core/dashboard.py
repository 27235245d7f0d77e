"""The staff dashboard on the admin index: numbers that each link to their filtered list.

``core`` draws the dashboard; each app registers the tiles it knows about from
its ``AppConfig.ready()`` (``dashboard_register``), so ``core`` never names an
app above it. A provider answers with a few aggregate queries, never one per
row: the dashboard costs the same at 100 or 100,000 cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.http import HttpRequest


class Tone(StrEnum):
    URGENT = "urgent"  # a person must look today
    ATTENTION = "attention"
    INFO = "info"


@dataclass(frozen=True)
class Tile:
    label: Any  # a lazy translation
    count: int
    url: str
    tone: Tone = Tone.INFO
    group: Any = ""
    help_text: Any = ""

    @property
    def needs_attention(self) -> bool:
        return self.count > 0 and self.tone is not Tone.INFO


TileProvider = Callable[[HttpRequest], list[Tile]]

_PROVIDERS: dict[str, tuple[int, TileProvider]] = {}


def dashboard_register(name: str, provider: TileProvider, *, order: int = 100) -> None:
    """Add (or replace, on reload) the provider ``name``; lower ``order`` shows first."""
    _PROVIDERS[name] = (order, provider)


def dashboard_tiles(request: HttpRequest) -> list[Tile]:
    tiles: list[Tile] = []
    for _order, provider in sorted(_PROVIDERS.values(), key=lambda item: item[0]):
        tiles.extend(provider(request))
    return tiles


def core_tiles(request: HttpRequest) -> list[Tile]:
    """E-mail that failed for good today, and e-mail waiting past its time (one query)."""
    from datetime import timedelta

    from django.db.models import Count, Q
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext_lazy as _

    from .models import Notification, NotificationStatus

    now = timezone.now()
    counts = Notification.objects.filter(
        Q(status=NotificationStatus.FAILED, status_changed_at__gte=now - timedelta(hours=24))
        | Q(status=NotificationStatus.QUEUED, due_at__lte=now - timedelta(minutes=5))
    ).aggregate(
        failed=Count("pk", filter=Q(status=NotificationStatus.FAILED)),
        late=Count("pk", filter=Q(status=NotificationStatus.QUEUED)),
    )
    base = reverse("admin:core_notification_changelist")
    group = _("E-mail")
    return [
        Tile(
            _("E-mails failed in the last 24 hours"),
            counts["failed"] or 0,
            f"{base}?failed_today=yes",
            Tone.URGENT,
            group,
        ),
        Tile(
            _("E-mails waiting more than 5 minutes"),
            counts["late"] or 0,
            f"{base}?due=overdue",
            Tone.ATTENTION,
            group,
        ),
    ]
