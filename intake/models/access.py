"""Magic-link tokens and the privacy consent."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.privacy import holds_patient_data


class TokenPurpose(models.TextChoices):
    RESUME = "resume", _("Resume a draft intake")
    CASE = "case", _("Open the case page")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@holds_patient_data(subject="case")
class AccessToken(models.Model):
    """A single-purpose link. Only the SHA-256 of the token is stored.

    Opening a link (GET) never consumes it: mail scanners open links first.
    Access ends when it expires, is revoked, or the case is withdrawn.
    """

    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="access_tokens",
    )
    purpose = models.CharField(_("purpose"), max_length=8, choices=TokenPurpose.choices)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    # The e-mail this link was issued for. A retried send revokes the link the
    # earlier try issued before issuing its own: one live link per message.
    notification = models.ForeignKey(
        "core.Notification",
        verbose_name=_("issued for e-mail"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("access link")
        verbose_name_plural = _("access links")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=TokenPurpose.values),
                name="intake_accesstoken_purpose_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="intake_accesstoken_expires_after_created",
            ),
            models.CheckConstraint(
                condition=models.Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 - a pattern
                name="intake_accesstoken_hash_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} #{self.pk}"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


@holds_patient_data(subject="case")
class PrivacyConsent(models.Model):
    """The privacy notice a patient accepted, when, and from where."""

    case = models.ForeignKey(
        "intake.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="consents"
    )
    notice_version = models.CharField(_("privacy notice version"), max_length=20)
    share_with_chosen_clinics = models.BooleanField(
        _("may share with clinics the patient chooses"), default=False
    )
    accepted_at = models.DateTimeField(_("accepted"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("privacy consent")
        verbose_name_plural = _("privacy consents")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "notice_version"], name="intake_privacyconsent_once_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_version} @ {self.accepted_at:%Y-%m-%d %H:%M}"
