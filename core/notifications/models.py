"""The outbox row: one e-mail the portal has decided to send.

Written by a service in the same transaction as the change that causes it, so
a rollback sends nothing and a commit always sends, later if not now. The row
holds ids, never patient values: the body is rendered from ``about`` at send
time, in the reader's language and zone.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.transitions import StatusMachine, TransitionTable


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


S = NotificationStatus


class Notification(StatusMachine, models.Model):
    TRANSITIONS = TransitionTable(
        {
            # queued -> sending is the dispatcher's claim; sending -> queued a
            # transient failure (or an expired lease) going round again.
            S.QUEUED: {S.SENDING, S.CANCELLED},
            S.SENDING: {S.SENT, S.QUEUED, S.FAILED, S.CANCELLED},
            S.SENT: set(),
            S.FAILED: {S.QUEUED, S.CANCELLED},
            S.CANCELLED: {S.QUEUED},
        }
    )

    # Plain B-tree indexes only (Meta.indexes, constraints), no LIKE-pattern twins: every
    # send marks its row sent and, as the row's status and lease are indexed, PostgreSQL
    # writes a new entry in every index of the table. Nothing searches these columns by
    # prefix (the admin's search is "contains"), so the twins were pure write cost.
    kind = models.CharField(_("kind"), max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=NotificationStatus.choices, default=S.QUEUED
    )
    # A user, or a bare address (a clinic's contact inbox, the concierge inbox),
    # or neither: then the kind finds the reader from ``about`` at send time, so
    # no patient address is copied here and a corrected address is honoured.
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient (user)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    recipient_address = models.EmailField(_("recipient (address)"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    about_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # core_notif_about_idx leads with it
        verbose_name=_("about type"),
    )
    about_id = models.CharField(_("about (id)"), max_length=64, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    # Ids and flags only (e.g. {"for_staff": true}); never a patient's words.
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=5, help_text=_("Lower goes first.")
    )
    due_at = models.DateTimeField(_("due"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_token = models.CharField(_("lease"), max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The dispatcher's two questions: what is due, and whose lease ran out.
            models.Index(
                fields=["priority", "due_at"],
                condition=models.Q(status="queued"),
                name="core_notif_due_idx",
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status="sending"),
                name="core_notif_lease_idx",
            ),
            models.Index(fields=["about_type", "about_id"], name="core_notif_about_idx"),
            models.Index(fields=["status", "status_changed_at"], name="core_notif_status_idx"),
            # A claim re-reads the rows it just leased, and each send checks its lease, by
            # token: without this, every dispatcher run scanned the whole outbox.
            models.Index(fields=["lease_token"], name="core_notif_lease_token_idx"),
            # The admin's list, newest first, and its date hierarchy.
            models.Index(fields=["created_at", "id"], name="core_notif_created_idx"),
            models.Index(fields=["kind"], name="core_notif_kind_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="core_notif_dedupe_key_uniq"),
            models.UniqueConstraint(fields=["message_id"], name="core_notif_message_id_uniq"),
            models.CheckConstraint(
                condition=models.Q(status__in=NotificationStatus.values),
                name="core_notification_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="core_notification_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sending") | models.Q(lease_expires_at__isnull=False),
                name="core_notification_sending_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ({self.status})"
