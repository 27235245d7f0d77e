"""Questions between the patient and the concierge."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.privacy import holds_patient_data


class MessageSender(models.TextChoices):
    PATIENT = "patient", _("Patient")
    CONCIERGE = "concierge", _("Concierge")


@holds_patient_data(subject="case")
class CaseMessage(models.Model):
    case = models.ForeignKey(
        "intake.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(_("from"), max_length=10, choices=MessageSender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sender__in=MessageSender.values),
                name="intake_casemessage_sender_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(body=""), name="intake_casemessage_body_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_sender_display()} @ {self.created_at:%Y-%m-%d %H:%M}"
