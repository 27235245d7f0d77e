"""Shared base: the user, time stamps, the audit trail and worker heartbeats."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from timezone_field import TimeZoneField


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    """Roles are Django groups, so staff can grant them from the admin."""

    CONCIERGE = "concierge", _("Concierge staff")
    # Added to concierge staff who review cases clinically: only they see the
    # clinical answers and the documents on the concierge side.
    CLINICIAN = "clinician", _("Clinician reviewer")
    # Accounts, groups, second factors and lock-outs; no patient data.
    ADMINISTRATOR = "administrator", _("Administrator")
    CLINIC_STAFF = "clinic_staff", _("Clinic staff")
    PATIENT = "patient", _("Patient")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractUser):
    """Logs in with an e-mail address; roles come from groups and flags."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    time_zone = TimeZoneField(_("time zone"), default="UTC")
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    # Part of the session auth hash: raising it ends every session signed in
    # before (core.sessions.sessions_end_elsewhere), as a new password does.
    session_generation = models.PositiveIntegerField(
        _("session generation"), default=0, editable=False
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="core_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django signs each session with an HMAC of the password; the generation
        # joins it, so a second factor added, removed or reset also ends the other
        # sessions. At generation 0 the hash is Django's own (no mass sign-out).
        value = self.password
        if self.session_generation:
            value = f"{self.password}:{self.session_generation}"
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            value,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def has_role(self, role: Role) -> bool:
        if not self.is_active:
            return False
        # groups are usually prefetched by the caller; fall back to one query.
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "groups" in cache:
            return any(g.name == role.value for g in cache["groups"])
        return self.groups.filter(name=role.value).exists()

    @property
    def is_concierge(self) -> bool:
        return (
            self.is_active
            and self.is_staff
            and (self.is_superuser or self.has_role(Role.CONCIERGE))
        )

    @property
    def is_clinician(self) -> bool:
        """Concierge staff who may read clinical answers and patients' documents."""
        return self.is_concierge and (self.is_superuser or self.has_role(Role.CLINICIAN))


class AuditEvent(models.Model):
    """Append-only record of who did what to which object.

    ``data`` carries ids, field names and states, never patient free text:
    the audit trail must be safe to show to any concierge.

    Append-only for the application: its database role may INSERT and SELECT
    here, never UPDATE or DELETE (docs/deploy.md, "Database roles"). So nothing
    may cascade into this table: the actor is kept as a bare id (no database
    constraint, nothing set to NULL when a user goes) beside ``actor_label``.
    ``subject`` is the record the target belongs to (``core.privacy``: a
    document's case), so a case's trail is one indexed lookup.
    """

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(_("actor label"), max_length=254)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("target type"),
    )
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    subject_type = models.ForeignKey(
        ContentType,
        verbose_name=_("subject type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="core_audit_target_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="core_audit_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class Heartbeat(models.Model):
    """Last time a canary task ran in a worker; read by /healthz."""

    name = models.CharField(_("name"), max_length=32, unique=True)
    seen_at = models.DateTimeField(_("seen at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


# The outbox row lives with its services in core.notifications; Django finds
# models through this module.
from .notifications.models import Notification, NotificationStatus  # noqa: E402

__all__ = [
    "AuditEvent",
    "Heartbeat",
    "Notification",
    "NotificationStatus",
    "Role",
    "TimeStampedModel",
    "User",
]
