"""Which clinics may see a case, and the clinics staff propose to the patient."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.privacy import holds_patient_data
from core.transitions import StatusMachine, TransitionTable


class ClinicShareQuerySet(models.QuerySet["ClinicShare"]):
    def active(self) -> ClinicShareQuerySet:
        return self.filter(revoked_at__isnull=True)


@holds_patient_data(subject="case")
class ClinicShare(models.Model):
    """The patient's consent for one clinic to see their case. Revocable.

    Revoking sets ``revoked_at``; granting again creates a new row, so the
    history of consent is kept.
    """

    case = models.ForeignKey(
        "intake.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="shares"
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        verbose_name=_("clinic"),
        on_delete=models.CASCADE,
        related_name="case_shares",
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ClinicShareQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("clinic share")
        verbose_name_plural = _("clinic shares")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clinic"],
                condition=models.Q(revoked_at__isnull=True),
                name="intake_clinicshare_one_active_per_clinic",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True)
                | models.Q(revoked_at__gte=models.F("granted_at")),
                name="intake_clinicshare_revoked_after_granted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} -> {self.clinic}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent to the patient")
    SUPERSEDED = "superseded", _("Superseded")


@holds_patient_data(subject="case")
class Proposal(StatusMachine, models.Model):
    """Clinics staff propose to a patient; the patient sees it once sent."""

    TRANSITIONS = TransitionTable(
        {
            ProposalStatus.DRAFT: frozenset({ProposalStatus.SENT, ProposalStatus.SUPERSEDED}),
            ProposalStatus.SENT: frozenset({ProposalStatus.SUPERSEDED}),
            ProposalStatus.SUPERSEDED: frozenset(),
        }
    )

    case = models.ForeignKey(
        "intake.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="proposals"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    note_to_patient = models.TextField(_("note to the patient"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ProposalStatus.values),
                name="intake_proposal_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ProposalStatus.SENT) | models.Q(sent_at__isnull=False),
                name="intake_proposal_sent_has_time",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status=ProposalStatus.SENT),
                name="intake_proposal_one_sent_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} proposal #{self.pk}"


@holds_patient_data(subject="proposal__case")
class ProposedClinic(models.Model):
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="items"
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        verbose_name=_("clinic"),
        on_delete=models.CASCADE,
        related_name="proposed_in",
    )
    offering = models.ForeignKey(
        "clinics.Offering",
        verbose_name=_("offering"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_in",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    score = models.PositiveSmallIntegerField(_("score (0-100)"), default=0)
    reasons = models.JSONField(
        _("reasons"),
        default=list,
        blank=True,
        help_text=_('List of {"code", "label", "ok"} from the matching service.'),
    )
    staff_note = models.TextField(_("staff note to the patient"), blank=True)

    class Meta:
        verbose_name = _("proposed clinic")
        verbose_name_plural = _("proposed clinics")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "clinic"], name="intake_proposedclinic_unique_clinic"
            ),
            models.CheckConstraint(
                condition=models.Q(score__lte=100), name="intake_proposedclinic_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic} ({self.score})"
