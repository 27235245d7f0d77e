"""Checks behind /healthz.

The worker check does not ask Celery whether a worker *lives* (a worker that
answers pings may still not consume the queue): it asks whether a canary task
sent through the broker was actually *executed* recently.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from .models import Heartbeat

log = logging.getLogger(__name__)

WEB_CANARY = "web"
BEAT_CANARY = "beat"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail}


def heartbeat_record(*, name: str) -> None:
    """Stamp a heartbeat; idempotent."""
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


def _heartbeat_age(name: str) -> float | None:
    seen = Heartbeat.objects.filter(name=name).values_list("seen_at", flat=True).first()
    return None if seen is None else (timezone.now() - seen).total_seconds()


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        log.warning("health: database check failed: %r", exc)
        return CheckResult(False, type(exc).__name__)
    return CheckResult(True, connection.vendor)


def check_cache() -> CheckResult:
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, 10)
        got = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        log.warning("health: cache check failed: %r", exc)
        return CheckResult(False, type(exc).__name__)
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return CheckResult(got == value, backend)


def check_broker() -> CheckResult:
    # Celery's current app, not config.celery_app: core sits below config.
    from celery import current_app

    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:
        log.warning("health: broker check failed: %r", exc)
        return CheckResult(False, type(exc).__name__)
    return CheckResult(True, str(transport))


def _send_canary() -> None:
    from .tasks import canary

    # One canary per interval however many probes call us.
    if cache.add("healthz:canary-sent", 1, settings.HEALTH_CANARY_EVERY):
        canary.apply_async(args=(WEB_CANARY,), expires=settings.HEALTH_STALE_AFTER)


def check_worker(*, wait: float | None = None) -> CheckResult:
    """Healthy when a canary sent through the broker ran within the window."""
    stale_after = settings.HEALTH_STALE_AFTER
    try:
        age = _heartbeat_age(WEB_CANARY)
        if age is None or age > settings.HEALTH_CANARY_EVERY:
            _send_canary()
        # A freshly started portal has no heartbeat yet: give the worker a moment.
        deadline = time.monotonic() + (settings.HEALTH_CANARY_WAIT if wait is None else wait)
        while (age is None or age > stale_after) and time.monotonic() < deadline:
            time.sleep(0.2)
            age = _heartbeat_age(WEB_CANARY)
    except Exception as exc:
        log.warning("health: worker check failed: %r", exc)
        return CheckResult(False, type(exc).__name__)
    if age is None:
        return CheckResult(False, "no canary has ever run")
    if age > stale_after:
        return CheckResult(False, f"last canary ran {age:.0f}s ago")
    return CheckResult(True, f"last canary ran {age:.0f}s ago")


def check_beat() -> CheckResult:
    age = _heartbeat_age(BEAT_CANARY)
    if age is None:
        return CheckResult(False, "beat has never fired")
    limit = settings.HEALTH_STALE_AFTER + settings.HEALTH_CANARY_EVERY
    return CheckResult(age <= limit, f"last beat canary ran {age:.0f}s ago")


def check_outbox() -> CheckResult:
    """Red when the oldest message due now has waited past OUTBOX_HEALTH_MAX_AGE."""
    from .notifications.models import Notification, NotificationStatus

    now = timezone.now()
    try:
        oldest = (
            Notification.objects.filter(status=NotificationStatus.QUEUED, due_at__lte=now)
            .order_by("due_at")
            .values_list("due_at", flat=True)
            .first()
        )
        stuck = Notification.objects.filter(
            status=NotificationStatus.SENDING, lease_expires_at__lt=now
        ).count()
    except Exception as exc:
        log.warning("health: outbox check failed: %r", exc)
        return CheckResult(False, type(exc).__name__)
    age = 0.0 if oldest is None else (now - oldest).total_seconds()
    detail = f"oldest due e-mail waiting {age:.0f}s; {stuck} with an expired lease"
    return CheckResult(age <= settings.OUTBOX_HEALTH_MAX_AGE, detail)


def run_checks() -> dict[str, CheckResult]:
    results = {
        "database": check_database(),
        "cache": check_cache(),
        "broker": check_broker(),
    }
    db_ok = results["database"].ok
    results["worker"] = check_worker() if db_ok else CheckResult(False, "database down")
    results["beat"] = check_beat() if db_ok else CheckResult(False, "database down")
    results["outbox"] = check_outbox() if db_ok else CheckResult(False, "database down")
    return results
