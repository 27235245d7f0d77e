"""The outbox: one row per event, sent once, retried by meaning, cancelled when unwanted."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.policy import compat32
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.health import check_outbox
from core.models import AuditEvent, Notification, NotificationStatus
from core.notifications.errors import classify
from core.notifications.rendering import OutboxMessage
from core.notifications.services import (
    notification_cancel,
    notification_resend,
    notifications_cancel_about,
    notify,
    outbox_claim_due,
    outbox_drain,
    outbox_send_claimed,
    sending,
)

from . import outbox_kinds  # noqa: F401 - registers tests.ping
from .outbox_kinds import WorkerKilled

pytestmark = pytest.mark.django_db
S = NotificationStatus


@pytest.fixture
def code_backend(settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.core.outbox_kinds.CodeBackend"


def ping(key: str, to: str = "staff@concierge.example", **kw: Any) -> Notification:
    return notify(kind="tests.ping", dedupe_key=key, to=to, **kw)


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


def test_it_sends_once_with_the_message_id_chosen_at_creation() -> None:
    row = ping("once")
    report = outbox_drain()
    assert report.sent == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert row.status == S.SENT and row.sent_at is not None and row.attempts == 1
    assert outbox_drain().sent == 0  # nothing is due twice
    assert len(mail.outbox) == 1


def test_an_arabic_reader_gets_the_layout_right_to_left() -> None:
    ping("ar", language="ar")
    outbox_drain()
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    assert '<html lang="ar" dir="rtl">' in html
    assert 'style="' in html  # the layout's CSS was inlined
    assert "<style>" not in html
    assert mail.outbox[0].extra_headers["Content-Language"] == "ar"


@pytest.mark.parametrize(
    "subject",
    [
        "Your check-in",
        "Su revisión de 3 meses: ¿cómo está?",
        "x" * 120,
        "",
        " two  spaces\tand a tab ",
    ],
)
def test_headers_are_written_byte_for_byte_as_compat32_writes_them(subject: str) -> None:
    message = OutboxMessage(
        subject=subject,
        body="Hola, María: ¿cómo está?",
        to=["María Pérez <maría@example.org>"],
        headers={
            "Message-ID": "<n.1@concierge.example>",
            "List-Unsubscribe": "<https://concierge.example/follow-up/unsubscribe/"
            + "t" * 80
            + "/>",
            "Content-Language": "es",
        },
    )
    message.attach_alternative("<p>Hola, <b>María</b></p>" + "y" * 1200, "text/html")
    mime = message.message()
    ours = mime.as_bytes(linesep="\r\n")
    mime.policy = compat32
    assert ours == mime.as_bytes(linesep="\r\n")


def test_a_message_that_is_no_longer_wanted_is_cancelled_not_sent() -> None:
    row = ping("unwanted", data={"unwanted": True})
    report = outbox_drain()
    assert report.cancelled == 1 and mail.outbox == []
    row.refresh_from_db()
    assert row.status == S.CANCELLED


def test_a_transient_refusal_goes_back_to_the_queue_with_a_backoff(code_backend: None) -> None:
    row = ping("busy", to="someone+451@example.org")
    before = timezone.now()
    report = outbox_drain()
    assert report.retried == 1
    row.refresh_from_db()
    assert row.status == S.QUEUED
    assert row.due_at > before
    assert row.last_error == "SMTP 451 recipient refused"
    assert "example.org" not in row.last_error  # never the address


def test_a_permanent_refusal_fails_at_once_and_tells_staff_once(code_backend: None) -> None:
    row = ping("gone", to="nobody+550@example.org")
    assert outbox_drain().failed == 1
    row.refresh_from_db()
    assert row.status == S.FAILED and row.attempts == 1
    alerts = Notification.objects.filter(kind="core.delivery_failed")
    assert alerts.count() == 1
    assert AuditEvent.objects.filter(action="core.notification.failed").count() == 1
    # The alert itself went out (to the concierge inbox), and a second drain adds nothing.
    outbox_drain()
    assert alerts.get().status == S.SENT
    assert Notification.objects.filter(kind="core.delivery_failed").count() == 1
    alert_mail = [m for m in mail.outbox if f"#{row.pk}" in m.body]
    assert len(alert_mail) == 1 and "nobody" not in alert_mail[0].body


def test_a_refused_connection_hands_the_rest_of_the_chunk_back(code_backend: None) -> None:
    ping("down-1", to="a+down@example.org")
    ping("down-2", to="b@example.org")
    claim = outbox_claim_due()
    report = outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
    assert report.retried == 2 and report.sent == 0
    assert Notification.objects.filter(status=S.QUEUED).count() == 2


def test_one_recipients_4xx_holds_back_nobody_else_in_the_chunk(code_backend: None) -> None:
    ping("grey-1", to="a+451@example.org")
    ping("grey-2", to="b@example.org")
    claim = outbox_claim_due()
    report = outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
    assert (report.retried, report.sent) == (1, 1)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["b@example.org"]


def test_two_dispatchers_never_claim_the_same_row() -> None:
    for i in range(30):
        ping(f"race-{i}")
    first = outbox_claim_due(limit=20)
    second = outbox_claim_due(limit=20)
    assert len(first.ids) == 20 and len(second.ids) == 10
    assert not set(first.ids) & set(second.ids)


def test_a_lease_that_ran_out_is_claimed_again_and_the_old_lease_sends_nothing() -> None:
    row = ping("lease")
    stale = outbox_claim_due()
    Notification.objects.filter(pk=row.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    fresh = outbox_claim_due()
    assert fresh.ids == [row.pk]
    late = outbox_send_claimed(notification_ids=stale.ids, lease_token=stale.lease_token)
    assert late.skipped == 1 and mail.outbox == []
    assert outbox_send_claimed(notification_ids=fresh.ids, lease_token=fresh.lease_token).sent == 1
    row.refresh_from_db()
    assert row.attempts == 1 and len(mail.outbox) == 1  # the stale lease never tried


def expire_leases() -> None:
    Notification.objects.filter(status=S.SENDING).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_poison_message_fails_after_its_last_attempt(settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "tests.core.outbox_kinds.DyingBackend"
    row = ping("poison")
    for _attempt in range(2):
        claim = outbox_claim_due()
        with pytest.raises(WorkerKilled):  # its worker dies mid-send, every time
            outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
        expire_leases()
    outbox_claim_due()
    row.refresh_from_db()
    assert row.status == S.FAILED and row.last_error == "attempts exhausted"
    assert row.attempts == 2


def test_a_poison_message_uses_up_no_attempt_of_the_messages_after_it(code_backend: None) -> None:
    """
    GIVEN a chunk of three whose second message kills its worker
    WHEN the worker dies on it
    THEN the first is sent, the second has used one attempt and the third none
    """
    rows = [ping("chunk-1"), ping("chunk-2", to="poison+die@example.org"), ping("chunk-3")]
    claim = outbox_claim_due()
    assert claim.ids == [row.pk for row in rows]
    with pytest.raises(WorkerKilled):
        outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
    for row in rows:
        row.refresh_from_db()
    assert [(row.status, row.attempts) for row in rows] == [
        (S.SENT, 1),
        (S.SENDING, 1),
        (S.SENDING, 0),
    ]


def test_a_row_claimed_again_mid_chunk_is_left_to_its_new_lease(monkeypatch: Any) -> None:
    """
    GIVEN a chunk of two whose second row's lease runs out while the first is being sent
    WHEN another dispatcher claims that row meanwhile
    THEN the old lease sends only the first, and the second waits for its new lease untried
    """
    ping("mid-1")
    second = ping("mid-2")
    stale = outbox_claim_due()
    fresh: list[Any] = []
    build = sending.build_message

    def build_while_another_dispatcher_claims(**kwargs: Any) -> Any:
        if not fresh:
            Notification.objects.filter(pk=second.pk).update(
                lease_expires_at=timezone.now() - timedelta(seconds=1)
            )
            fresh.append(outbox_claim_due())
        return build(**kwargs)

    monkeypatch.setattr(sending, "build_message", build_while_another_dispatcher_claims)
    report = outbox_send_claimed(notification_ids=stale.ids, lease_token=stale.lease_token)
    assert (report.sent, report.skipped) == (1, 1) and len(mail.outbox) == 1
    second.refresh_from_db()
    assert fresh[0].ids == [second.pk]
    assert (second.status, second.lease_token, second.attempts) == (
        S.SENDING,
        fresh[0].lease_token,
        0,
    )


def test_starting_a_message_renews_its_lease_only_once_half_of_it_is_gone(
    monkeypatch: Any, settings: Any
) -> None:
    """
    GIVEN a chunk of three, claimed with a full lease, the third's lease nearly run out
    WHEN the chunk is sent
    THEN each message's attempt is counted as it starts, the second keeps the lease it was
         claimed with (an update in place), and the third gets a fresh one
    """
    rows = [ping("renew-1"), ping("renew-2"), ping("renew-3")]
    claim = outbox_claim_due()
    claimed_until = Notification.objects.get(pk=rows[1].pk).lease_expires_at
    assert claimed_until is not None
    nearly_out = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS / 4)
    Notification.objects.filter(pk=rows[2].pk).update(lease_expires_at=nearly_out)
    leases: dict[int, Any] = {}
    build = sending.build_message

    def build_and_note_the_lease(**kwargs: Any) -> Any:
        pk = kwargs["notification"].pk
        row = Notification.objects.get(pk=pk)
        leases[pk] = (row.lease_expires_at, row.attempts)
        return build(**kwargs)

    monkeypatch.setattr(sending, "build_message", build_and_note_the_lease)
    report = outbox_send_claimed(notification_ids=claim.ids, lease_token=claim.lease_token)
    assert report.sent == 3
    assert leases[rows[1].pk] == (claimed_until, 1)
    renewed, attempts = leases[rows[2].pk]
    assert attempts == 1 and renewed > nearly_out + timedelta(seconds=1)
    assert renewed >= timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS / 2)


def test_claims_whose_sends_never_reached_a_worker_use_up_no_attempts(settings: Any) -> None:
    """
    GIVEN every mail worker down for longer than OUTBOX_MAX_ATTEMPTS leases
    WHEN the dispatcher claims the message again each time its lease runs out
    THEN the message is still sent once a worker returns, on its first attempt
    """
    settings.OUTBOX_MAX_ATTEMPTS = 2
    row = ping("workers-down")
    for _lease in range(5):
        assert outbox_claim_due().ids == [row.pk]  # the send task waits or is lost
        expire_leases()
    assert outbox_drain().sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 1)
    assert not Notification.objects.filter(kind="core.delivery_failed").exists()


def test_a_dispatcher_claims_only_what_the_workers_have_room_for(settings: Any) -> None:
    """
    GIVEN a backlog larger than OUTBOX_MAX_IN_FLIGHT
    WHEN a staff alert (priority 1) is queued behind it
    THEN the backlog is claimed half a room or more at a time, and the alert goes first
    """
    settings.OUTBOX_MAX_IN_FLIGHT = 6
    for i in range(10):
        ping(f"backlog-{i}")
    first = outbox_claim_due()
    assert len(first.ids) == 6
    assert outbox_claim_due().ids == []  # no room until the workers send
    urgent = ping("urgent", priority=1)
    outbox_send_claimed(notification_ids=first.ids[:2], lease_token=first.lease_token)
    assert outbox_claim_due().ids == []  # less than half the room: wait for a fuller top-up
    outbox_send_claimed(notification_ids=first.ids[2:3], lease_token=first.lease_token)
    second = outbox_claim_due()
    assert second.ids[0] == urgent.pk and len(second.ids) == 3


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


@pytest.mark.parametrize(
    ("exc", "transient", "code"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b": (450, b"busy")}), True, 450),
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"no such user")}), False, 550),
        (smtplib.SMTPRecipientsRefused({"a@b": (451, b"x"), "c@d": (550, b"y")}), False, 550),
        (smtplib.SMTPDataError(451, b"local error"), True, 451),
        (smtplib.SMTPDataError(554, b"rejected"), False, 554),
        (smtplib.SMTPSenderRefused(553, b"sender", "from@x"), False, 553),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False, 535),
        (smtplib.SMTPServerDisconnected("gone"), True, None),
        (ConnectionRefusedError(111, "refused"), True, None),
        (ConnectionResetError(104, "reset"), True, None),
        (TimeoutError("timed out"), True, None),
        (ValueError("a bug in a template"), False, None),
    ],
)
def test_errors_are_told_apart_by_meaning(exc: BaseException, transient: bool, code: Any) -> None:
    error = classify(exc)
    assert (error.transient, error.code) == (transient, code)
    assert "@" not in error.summary


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
