"""Change requests: a clinic's proposed edit to a vetted fact, for staff to decide."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from core.transitions import StatusMachine, TransitionTable

from .clinic import Clinic


class ChangeRequestKind(models.TextChoices):
    UPDATE = "update", _("Change to a published fact")
    CREATE = "create", _("New item to publish")


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting staff")
    APPROVED = "approved", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced by a later request")


class ChangeRequest(StatusMachine, TimeStampedModel):
    """A proposed change to vetted facts of a Clinic, Offering or Doctor.

    ``changes`` maps field name -> proposed value and ``original`` the values when
    the request was made (JSON-safe: Decimals and dates as strings, many-to-many
    as sorted id lists). For ``CREATE`` the target is a new row that stays
    unpublished (pending offering, inactive doctor) until approval.
    Approval applies the changes through ``change_request_approve``.
    """

    TRANSITIONS = TransitionTable(
        {
            ChangeRequestStatus.PENDING: frozenset(
                {
                    ChangeRequestStatus.APPROVED,
                    ChangeRequestStatus.REJECTED,
                    ChangeRequestStatus.SUPERSEDED,
                }
            ),
            ChangeRequestStatus.APPROVED: frozenset(),
            ChangeRequestStatus.REJECTED: frozenset(),
            ChangeRequestStatus.SUPERSEDED: frozenset(),
        }
    )

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="change_requests", verbose_name=_("clinic")
    )
    kind = models.CharField(
        _("kind"),
        max_length=8,
        choices=ChangeRequestKind.choices,
        default=ChangeRequestKind.UPDATE,
    )
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("what")
    )
    target_id = models.PositiveBigIntegerField(_("target id"))
    target = GenericForeignKey("target_type", "target_id")
    changes = models.JSONField(_("proposed values"), encoder=DjangoJSONEncoder)
    original = models.JSONField(
        _("values when proposed"), encoder=DjangoJSONEncoder, default=dict, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.PENDING,
        db_index=True,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note to the clinic"), max_length=500, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["target_type", "target_id", "status"], name="clinics_cr_target_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=ChangeRequestStatus.PENDING, decided_at__isnull=True)
                | ~models.Q(status=ChangeRequestStatus.PENDING)
                & models.Q(decided_at__isnull=False),
                name="clinics_changerequest_decided_has_time",
            ),
            models.UniqueConstraint(
                fields=["target_type", "target_id"],
                condition=models.Q(status=ChangeRequestStatus.PENDING),
                name="clinics_changerequest_one_pending_per_target",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} - {self.clinic}"

    @property
    def is_pending(self) -> bool:
        return self.status == ChangeRequestStatus.PENDING
