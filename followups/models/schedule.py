"""The check-in schedule of one treatment, and its check-ins.

A completed treatment record gets exactly one schedule (a unique key on the
treatment, so two racing schedulers cannot both make one). Each check-in has
its due time in the patient's home zone and a transition table; what is sent
and when is the outbox's job (invitation and reminder are notifications due at
their times, asked at send time whether they are still wanted).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import ConditionCategory
from core.privacy import holds_patient_data
from core.transitions import StatusMachine, TransitionTable

from ..instruments import DEFAULT_TIME_POINTS, TimePoint


class ScheduleStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused by the patient")
    STOPPED = "stopped", _("Stopped by the patient")
    ENDED = "ended", _("Ended (consent withdrawn or case closed)")


class ScheduleTemplate(models.Model):
    """Staff choose the time points per condition category; the default is all six."""

    category = models.CharField(
        _("condition category"), max_length=20, choices=ConditionCategory.choices, unique=True
    )
    time_points = models.JSONField(_("time points"), default=list)

    class Meta:
        verbose_name = _("check-in schedule template")
        verbose_name_plural = _("check-in schedule templates")

    def __str__(self) -> str:
        return str(self.get_category_display())

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        points = self.time_points
        if (
            not isinstance(points, list)
            or not points
            or any(p not in TimePoint.values for p in points)
            or len(set(points)) != len(points)
        ):
            raise ValidationError(
                {
                    "time_points": _("Choose one or more of: %(points)s.")
                    % {"points": ", ".join(TimePoint.values)}
                }
            )
        # Kept in time order, whatever order staff typed them in.
        self.time_points = [p for p in DEFAULT_TIME_POINTS if p in points]


@holds_patient_data(subject="case")
class FollowUpSchedule(StatusMachine, models.Model):
    TRANSITIONS = TransitionTable(
        {
            ScheduleStatus.ACTIVE: {
                ScheduleStatus.PAUSED,
                ScheduleStatus.STOPPED,
                ScheduleStatus.ENDED,
            },
            ScheduleStatus.PAUSED: {
                ScheduleStatus.ACTIVE,
                ScheduleStatus.STOPPED,
                ScheduleStatus.ENDED,
            },
            ScheduleStatus.STOPPED: {ScheduleStatus.ACTIVE, ScheduleStatus.ENDED},
            ScheduleStatus.ENDED: set(),
        }
    )

    treatment = models.OneToOneField(
        "consultations.TreatmentRecord",
        verbose_name=_("treatment"),
        on_delete=models.CASCADE,
        related_name="followup_schedule",
    )
    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="followup_schedules",
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        verbose_name=_("clinic"),
        on_delete=models.PROTECT,
        related_name="followup_schedules",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ScheduleStatus.choices, default=ScheduleStatus.ACTIVE
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("follow-up schedule")
        verbose_name_plural = _("follow-up schedules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ScheduleStatus.values),
                name="followups_schedule_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} / {self.treatment_id}"

    @property
    def is_active(self) -> bool:
        return self.status == ScheduleStatus.ACTIVE


class CheckInStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    INVITED = "invited", _("Invited")
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed (e-mail could not be delivered)")


C = CheckInStatus
OPEN_CHECKIN_STATUSES = (C.SCHEDULED, C.INVITED)


@holds_patient_data(subject="schedule__case")
class CheckIn(StatusMachine, models.Model):
    TRANSITIONS = TransitionTable(
        {
            C.SCHEDULED: {C.INVITED, C.ANSWERED, C.CANCELLED, C.FAILED},
            C.INVITED: {C.ANSWERED, C.MISSED, C.CANCELLED, C.FAILED},
            C.ANSWERED: set(),
            C.MISSED: {C.ANSWERED},  # a late answer is still welcome
            C.CANCELLED: set(),
            C.FAILED: {C.INVITED, C.CANCELLED},
        }
    )

    schedule = models.ForeignKey(
        FollowUpSchedule,
        verbose_name=_("schedule"),
        on_delete=models.CASCADE,
        related_name="check_ins",
    )
    time_point = models.CharField(_("time point"), max_length=4, choices=TimePoint.choices)
    # Side effects only (after a harvest visit), or the full check-in.
    side_effects_only = models.BooleanField(_("side effects only"), default=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CheckInStatus.choices,
        default=C.SCHEDULED,
        db_index=True,
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "time_point", "side_effects_only"],
                name="followups_checkin_once_per_time_point",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CheckInStatus.values),
                name="followups_checkin_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="answered") | models.Q(answered_at__isnull=False),
                name="followups_checkin_answered_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="followups_checkin_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_time_point_display()} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CHECKIN_STATUSES or self.status == C.MISSED
