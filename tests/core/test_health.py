from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from core.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_waiting(settings: Any) -> None:
    settings.HEALTH_CANARY_WAIT = 0


def _beat(name: str, seconds_ago: float) -> None:
    Heartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now() - timedelta(seconds=seconds_ago)}
    )


def test_it_is_green_when_a_worker_ran_the_canary_recently(client: Client) -> None:
    _beat("web", 5)
    _beat("beat", 5)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "worker", "beat", "outbox"}
    assert all(check["ok"] for check in body["checks"].values())


def test_it_is_red_when_no_canary_ran_within_the_window(client: Client, settings: Any) -> None:
    """A worker that lives but does not consume looks exactly like this."""
    _beat("web", settings.HEALTH_STALE_AFTER + 1)
    _beat("beat", 5)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_it_is_red_before_any_worker_has_ever_run(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["detail"] == "no canary has ever run"


def test_it_is_red_when_beat_stopped_firing(client: Client, settings: Any) -> None:
    _beat("web", 1)
    _beat("beat", settings.HEALTH_STALE_AFTER + settings.HEALTH_CANARY_EVERY + 1)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["ok"] is False


def test_it_sends_one_canary_per_interval_however_often_it_is_probed(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr("core.tasks.canary.apply_async", lambda *a, **kw: sent.append(a))
    for _ in range(5):
        client.get("/healthz")
    assert len(sent) == 1


def test_it_reveals_no_internals(client: Client) -> None:
    response = client.get("/healthz")
    assert b"password" not in response.content.lower()
    assert b"Traceback" not in response.content
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_is_red_when_an_e_mail_has_waited_too_long(client: Client, settings: Any) -> None:
    from core.notifications.services import notify
    from tests.core import outbox_kinds  # noqa: F401 - registers tests.ping

    settings.OUTBOX_HEALTH_MAX_AGE = 60
    _beat("web", 5)
    _beat("beat", 5)
    notify(
        kind="tests.ping",
        dedupe_key="late",
        to="staff@concierge.example",
        due_at=timezone.now() - timedelta(minutes=10),
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["outbox"]["ok"] is False
