"""Adverse events (graded by staff before they close) and staff tasks with a due time."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.privacy import holds_patient_data
from core.transitions import StatusMachine, TransitionTable


class Relatedness(models.TextChoices):
    """WHO-UMC causality categories."""

    CERTAIN = "certain", _("Certain")
    PROBABLE = "probable", _("Probable / likely")
    POSSIBLE = "possible", _("Possible")
    UNLIKELY = "unlikely", _("Unlikely")
    CONDITIONAL = "conditional", _("Conditional / unclassified")
    UNASSESSABLE = "unassessable", _("Unassessable / unclassifiable")


class EventOutcome(models.TextChoices):
    RECOVERED = "recovered", _("Recovered")
    RECOVERING = "recovering", _("Recovering")
    NOT_RECOVERED = "not_recovered", _("Not recovered")
    SEQUELAE = "sequelae", _("Recovered with lasting effects")
    FATAL = "fatal", _("Fatal")
    UNKNOWN = "unknown", _("Unknown")


class EventStatus(models.TextChoices):
    OPEN = "open", _("Open")
    GRADED = "graded", _("Graded")
    CLOSED = "closed", _("Closed")


E = EventStatus


@holds_patient_data(subject="schedule__case")
class AdverseEvent(StatusMachine, models.Model):
    """A red-flag answer a human must see the same day. Closing needs a staff grading."""

    TRANSITIONS = TransitionTable(
        {E.OPEN: {E.GRADED}, E.GRADED: {E.CLOSED, E.OPEN}, E.CLOSED: {E.OPEN}}
    )

    check_in = models.ForeignKey(
        "followups.CheckIn",
        verbose_name=_("check-in"),
        on_delete=models.CASCADE,
        related_name="adverse_events",
    )
    schedule = models.ForeignKey(
        "followups.FollowUpSchedule",
        verbose_name=_("schedule"),
        on_delete=models.CASCADE,
        related_name="adverse_events",
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        verbose_name=_("clinic"),
        on_delete=models.PROTECT,
        related_name="adverse_events",
    )
    reasons = models.JSONField(_("what the patient reported"), default=list)
    status = models.CharField(
        _("status"), max_length=8, choices=EventStatus.choices, default=E.OPEN, db_index=True
    )
    reported_at = models.DateTimeField(_("reported"), default=timezone.now, db_index=True)
    ctcae_grade = models.PositiveSmallIntegerField(
        _("severity (CTCAE grade 1-5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    relatedness = models.CharField(
        _("relatedness (WHO-UMC)"), max_length=12, choices=Relatedness.choices, blank=True
    )
    action_taken = models.TextField(
        _("action taken"), blank=True, max_length=2000, validators=[MaxLengthValidator(2000)]
    )
    outcome = models.CharField(
        _("outcome"), max_length=14, choices=EventOutcome.choices, blank=True
    )
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("graded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    graded_at = models.DateTimeField(_("graded"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The clinic is asked to rate relatedness by a deadline; unanswered ones are
    # counted on its outcome card.
    clinic_relatedness = models.CharField(
        _("relatedness according to the clinic"),
        max_length=12,
        choices=Relatedness.choices,
        blank=True,
    )
    clinic_rating_due_at = models.DateTimeField(_("clinic's rating due"))
    clinic_rated_at = models.DateTimeField(_("clinic rated"), null=True, blank=True)

    class Meta:
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
        ordering = ["reported_at", "pk"]  # oldest first: the longest wait is at the top
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=EventStatus.values),
                name="followups_adverseevent_status_valid",
            ),
            # The database refuses a graded or closed event without the grading.
            models.CheckConstraint(
                condition=models.Q(status="open")
                | (
                    models.Q(ctcae_grade__gte=1, ctcae_grade__lte=5)
                    & ~models.Q(relatedness="")
                    & ~models.Q(outcome="")
                    & ~models.Q(action_taken="")
                    & models.Q(graded_at__isnull=False)
                ),
                name="followups_adverseevent_graded_before_closing",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()} ({self.clinic})"


class TaskKind(models.TextChoices):
    REVIEW_ANSWERS = "review", _("Review worrying answers")
    CALL_PATIENT = "call", _("Call the patient (no answer)")
    CONTACT_REQUEST = "contact", _("The patient asked to be contacted")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


@holds_patient_data(subject="check_in__schedule__case")
class StaffTask(StatusMachine, models.Model):
    TRANSITIONS = TransitionTable(
        {TaskStatus.OPEN: {TaskStatus.DONE}, TaskStatus.DONE: {TaskStatus.OPEN}}
    )

    check_in = models.ForeignKey(
        "followups.CheckIn",
        verbose_name=_("check-in"),
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=TaskKind.choices)
    reasons = models.JSONField(_("why"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=6,
        choices=TaskStatus.choices,
        default=TaskStatus.OPEN,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    due_at = models.DateTimeField(_("due"), db_index=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    note = models.TextField(
        _("note"), blank=True, max_length=2000, validators=[MaxLengthValidator(2000)]
    )

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["due_at", "pk"]
        # The admin's task list: open ones first, soonest due first.
        indexes = [models.Index(fields=["status", "due_at"], name="followups_task_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["check_in", "kind"], name="followups_stafftask_once_per_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TaskStatus.values),
                name="followups_stafftask_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
