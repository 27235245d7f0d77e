"""Queueing a test row in the outbox, shared by the outbox test modules.

Importing this registers the ``tests.ping`` kind (tests/core/outbox_kinds.py).
"""

from __future__ import annotations

from typing import Any

from core.models import Notification, NotificationStatus
from core.notifications.services import notify

from . import outbox_kinds  # noqa: F401 - registers tests.ping

S = NotificationStatus


def ping(key: str, to: str = "staff@concierge.example", **kw: Any) -> Notification:
    return notify(kind="tests.ping", dedupe_key=key, to=to, **kw)
