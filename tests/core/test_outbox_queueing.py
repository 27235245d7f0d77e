"""The outbox's queue: one row per event, staff cancel and resend, the admin and health.

Covers ``notify`` (dedupe, unknown kinds, rollbacks, due times, the dispatcher
nudge on commit), staff cancel/resend and cancelling by object, the database
constraint on sent rows, the health check and the admin list and actions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.health import check_outbox
from core.models import AuditEvent, Notification
from core.notifications.services import (
    notification_cancel,
    notification_resend,
    notifications_cancel_about,
    notify,
    outbox_drain,
)

from .outbox_rows import S, ping

pytestmark = pytest.mark.django_db


def test_the_same_event_never_makes_two_rows() -> None:
    first = ping("event-1")
    second = ping("event-1")
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert first.message_id.startswith("<") and first.message_id.endswith(">")


def test_it_refuses_a_kind_nobody_registered() -> None:
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify(kind="nobody.knows", dedupe_key="x", to="a@b.example")


def test_a_rollback_queues_nothing_and_sends_nothing() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        ping("rolled-back")
        raise RuntimeError("the service failed after notify()")
    assert not Notification.objects.exists()
    assert outbox_drain().sent == 0
    assert mail.outbox == []


def test_a_message_due_later_waits() -> None:
    ping("later", due_at=timezone.now() + timedelta(hours=24))
    assert outbox_drain().sent == 0
    assert Notification.objects.get().status == S.QUEUED


def test_a_commit_nudges_the_dispatcher_once(
    django_capture_on_commit_callbacks: Any, published_tasks: list[Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for i in range(5):
            ping(f"nudge-{i}")
    assert [t.name for t in published_tasks] == ["core.tasks.outbox_dispatch"]


def test_staff_can_cancel_and_resend_and_each_is_audited(personas: Any) -> None:
    row = ping("staff-actions")
    notification_cancel(notification=row, acting_user=personas.concierge)
    assert outbox_drain().sent == 0
    notification_resend(notification=row, acting_user=personas.concierge)
    assert outbox_drain().sent == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"core.notification.cancelled", "core.notification.resent"} <= actions


def test_a_sent_message_cannot_be_resent_or_cancelled(personas: Any) -> None:
    from core.exceptions import DomainError

    row = ping("sent-already")
    outbox_drain()
    row.refresh_from_db()
    with pytest.raises(DomainError):
        notification_resend(notification=row, acting_user=personas.concierge)
    with pytest.raises(DomainError):
        notification_cancel(notification=row, acting_user=personas.concierge)


def test_cancelling_about_an_object_cancels_only_what_is_still_queued(personas: Any) -> None:
    sent = ping("about-1", about=personas.alice)
    outbox_drain()
    queued = ping("about-2", about=personas.alice, due_at=timezone.now() + timedelta(days=1))
    other = ping("about-3", about=personas.bob, due_at=timezone.now() + timedelta(days=1))
    assert notifications_cancel_about(about=personas.alice) == 1
    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses == {sent.pk: S.SENT, queued.pk: S.CANCELLED, other.pk: S.QUEUED}


def test_the_database_refuses_a_sent_row_without_a_time() -> None:
    row = ping("constraint")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.filter(pk=row.pk).update(status=S.SENT)


def test_health_turns_red_when_the_oldest_due_message_waits_too_long(settings: Any) -> None:
    settings.OUTBOX_HEALTH_MAX_AGE = 60
    assert check_outbox().ok
    ping("stale", due_at=timezone.now() - timedelta(minutes=5))
    result = check_outbox()
    assert not result.ok and "oldest due e-mail waiting" in result.detail


def test_the_admin_lists_messages_in_constant_queries(
    client: Any, personas: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(personas.concierge)
    for i in range(3):
        ping(f"admin-{i}")
    url = "/admin/core/notification/"
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    for i in range(30):
        ping(f"admin-more-{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url + "?status=queued").content.decode()
    assert "tests.ping" in body


def test_the_admin_resend_action_calls_the_service(client: Any, personas: Any) -> None:
    client.force_login(personas.concierge)
    row = ping("admin-resend")
    notification_cancel(notification=row, acting_user=personas.concierge)
    response = client.post(
        "/admin/core/notification/",
        {"action": "resend_selected", "_selected_action": [row.pk]},
        follow=True,
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.status == S.QUEUED
    assert AuditEvent.objects.filter(
        action="core.notification.resent", actor=personas.concierge
    ).exists()


def test_clinic_staff_cannot_see_the_outbox(client: Any, personas: Any) -> None:
    ping("private")
    client.force_login(personas.clinic_a_staff)
    response = client.get("/admin/core/notification/")
    assert response.status_code in (302, 403)
    assert b"tests.ping" not in response.content
