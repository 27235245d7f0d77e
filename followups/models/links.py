"""Check-in links: random, stored hashed, issued per notification, revoked once answered."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.privacy import holds_patient_data


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@holds_patient_data(subject="check_in__schedule__case")
class CheckInLink(models.Model):
    check_in = models.ForeignKey(
        "followups.CheckIn",
        verbose_name=_("check-in"),
        on_delete=models.CASCADE,
        related_name="links",
    )
    # The message that carried it: a retried send revokes the link its earlier try issued.
    notification = models.ForeignKey(
        "core.Notification",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("notification"),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("check-in link")
        verbose_name_plural = _("check-in links")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106
                name="followups_checkinlink_hash_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"link for check-in {self.check_in_id}"

    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
