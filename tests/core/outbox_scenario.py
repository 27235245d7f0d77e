"""Shared by the outbox reliability tests (``test_outbox_reliability*.py``): the ``rig``
fixture (a Redis, an SMTP sink, workers and dispatchers of the test's own), queueing the
test e-mails, and waiting until every row has settled.

``rig`` reaches the tests through ``tests/core/conftest.py`` (and the follow-up tests'
conftest); the parts are ``outbox_harness.py``, ``processes.py`` and ``mail_sink.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import Count

from core.models import Notification, NotificationStatus
from core.notifications.services import notify
from tests.conftest import require

from . import outbox_kinds  # noqa: F401 - registers tests.ping in this process too
from .mail_sink import MailSink
from .outbox_harness import CELERY, OutboxRig
from .processes import REDIS_SERVER, RedisServer, database_url, wait_until

# The processes see only committed rows: every scenario runs outside a test transaction.
committed = pytest.mark.django_db(transaction=True)
S = NotificationStatus


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[OutboxRig]:
    """A Redis, an SMTP sink and (once the test starts them) workers and dispatchers of its own."""
    require(connection.vendor == "postgresql", "reliability tests need PostgreSQL (DATABASE_URL)")
    require(REDIS_SERVER is not None, "redis-server is not installed (apt-get install redis)")
    require(CELERY.exists(), f"celery is not installed at {CELERY}")
    redis = RedisServer(tmp_path)
    redis.start()
    sink = MailSink()
    sink.start()
    rig = OutboxRig(
        workdir=tmp_path,
        database_url=database_url(connection.settings_dict),
        redis=redis,
        sink=sink,
    )
    try:
        yield rig
    finally:
        rig.close()
        sink.stop()
        redis.kill()


def queue_pings(count: int, prefix: str, to: Callable[[int], str] | None = None) -> list[str]:
    """Queue ``count`` e-mails in one transaction (as one service would); their Message-IDs."""
    address = to or (lambda i: f"reader{i}@patients.example")
    with transaction.atomic():
        rows = [
            notify(kind="tests.ping", dedupe_key=f"{prefix}:{i}", to=address(i))
            for i in range(count)
        ]
    return [row.message_id for row in rows]


def statuses() -> dict[str, int]:
    rows = Notification.objects.values("status").annotate(n=Count("pk")).order_by()
    return {row["status"]: row["n"] for row in rows}


def accepted_at_least(sink: MailSink, count: int) -> Callable[[], bool]:
    return lambda: sink.total() >= count


def wait_settled(rig: OutboxRig, timeout: float) -> float:
    """Until no row is queued or being sent: nothing can be sent again after this."""
    return wait_until(
        lambda: not Notification.objects.filter(status__in=(S.QUEUED, S.SENDING)).exists(),
        timeout=timeout,
        interval=0.1,
        what="every notification to settle",
        detail=lambda: f"statuses: {statuses()}\n{rig.logs()}",
    )
