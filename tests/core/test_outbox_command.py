"""``manage.py outbox_dispatch``: the dispatcher as a process of its own."""

from __future__ import annotations

import signal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from core.models import Notification, NotificationStatus
from core.notifications.services import notify

from . import outbox_kinds  # noqa: F401 - registers tests.ping

pytestmark = pytest.mark.django_db


def ping(key: str) -> Notification:
    return notify(kind="tests.ping", dedupe_key=key, to="staff@concierge.example")


def test_once_it_claims_what_is_due_and_enqueues_its_sends(published_tasks: list[Any]) -> None:
    for i in range(3):
        ping(f"once-{i}")
    out = StringIO()
    call_command("outbox_dispatch", stdout=out)
    assert out.getvalue().strip() == "claimed 3"
    assert set(Notification.objects.values_list("status", flat=True)) == {
        NotificationStatus.SENDING
    }
    assert [t.name for t in published_tasks] == ["core.tasks.outbox_send"]
    assert len(published_tasks[0].args[0]) == 3


def test_the_loop_ends_once_nothing_was_due_for_a_while(published_tasks: list[Any]) -> None:
    ping("loop")
    before = signal.getsignal(signal.SIGTERM)
    out = StringIO()
    call_command(
        "outbox_dispatch", "--loop", "--interval", "0.05", "--until-idle", "0.3", stdout=out
    )
    assert "outbox dispatcher stopped; claimed 1" in out.getvalue()
    assert Notification.objects.get().status == NotificationStatus.SENDING
    assert signal.getsignal(signal.SIGTERM) is before  # the caller's handlers are back


def test_it_refuses_an_interval_of_zero() -> None:
    with pytest.raises(CommandError, match="interval"):
        call_command("outbox_dispatch", "--loop", "--interval", "0")
