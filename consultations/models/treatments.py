"""Treatment plans and treatment records.

A completed ``TreatmentRecord`` is the event that starts follow-ups: a higher
app finds completed records it has not acted on yet
(``consultations.selectors.treatments_completed_without``), so nothing here
imports upward and no signal is needed.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinics.models import CellOrigin, Manipulation, Route
from core.models import TimeStampedModel
from core.privacy import holds_patient_data
from core.transitions import StatusMachine, TransitionTable

# Cultured autologous cells: harvest, ~6 weeks in the lab, then treatment.
CULTURE_WEEKS = 6
MIN_CULTURE_DAYS = 21


class PhaseKind(models.TextChoices):
    HARVEST = "harvest", _("Cell harvest visit")
    TREATMENT = "treatment", _("Treatment")


class PlanStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


def needs_two_phases(offering: object) -> bool:
    """Autologous cultured cells are collected first and given back weeks later."""
    return (
        getattr(offering, "origin", None) == CellOrigin.AUTOLOGOUS
        and getattr(offering, "manipulation", None) == Manipulation.CULTURED
        and not getattr(offering, "is_cell_free", False)
    )


@holds_patient_data(subject="case")
class TreatmentPlan(StatusMachine, TimeStampedModel):
    """What a clinic plans for a patient after a consultation: offering, dates, stay."""

    TRANSITIONS = TransitionTable(
        {
            PlanStatus.PLANNED: {PlanStatus.COMPLETED, PlanStatus.CANCELLED},
            PlanStatus.COMPLETED: set(),
            PlanStatus.CANCELLED: set(),
        }
    )

    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="treatment_plans",
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        verbose_name=_("clinic"),
        on_delete=models.PROTECT,
        related_name="treatment_plans",
    )
    offering = models.ForeignKey(
        "clinics.Offering",
        verbose_name=_("offering"),
        on_delete=models.PROTECT,
        related_name="treatment_plans",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.PLANNED
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    arrival_date = models.DateField(_("arrival (planned)"))
    departure_date = models.DateField(_("departure (planned)"))
    minimum_stay_nights = models.PositiveSmallIntegerField(
        _("minimum stay (nights)"), default=2, validators=[MaxValueValidator(60)]
    )
    sedation = models.BooleanField(
        _("sedation planned"),
        default=False,
        help_text=_("Adds fasting to the pre-treatment instructions."),
    )
    instructions_days_before = models.PositiveSmallIntegerField(
        _("send instructions (days before)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    notes = models.TextField(
        _("notes for the patient"),
        max_length=3000,
        blank=True,
        validators=[MaxLengthValidator(3000)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("treatment plan")
        verbose_name_plural = _("treatment plans")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=PlanStatus.values),
                name="consultations_treatmentplan_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(departure_date__gte=models.F("arrival_date")),
                name="consultations_treatmentplan_departure_after_arrival",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offering} for {self.case}"

    def clean(self) -> None:
        super().clean()
        if self.arrival_date and self.departure_date:
            if self.departure_date < self.arrival_date:
                raise ValidationError(
                    {"departure_date": _("Departure must not be before arrival.")}
                )
            if (self.departure_date - self.arrival_date).days < self.minimum_stay_nights:
                raise ValidationError(
                    {"departure_date": _("The stay is shorter than the minimum stay.")}
                )
        if self.offering_id and self.clinic_id and self.offering.clinic_id != self.clinic_id:
            raise ValidationError({"offering": _("Choose one of this clinic's offerings.")})

    @property
    def is_two_phase(self) -> bool:
        return bool(self.offering_id) and needs_two_phases(self.offering)


@holds_patient_data(subject="plan__case")
class TreatmentPhase(models.Model):
    """One visit of a plan: a single treatment, or the harvest and the treatment weeks later.

    Each phase is booked as a consultation of its own (an in-person visit).
    """

    plan = models.ForeignKey(
        TreatmentPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="phases"
    )
    kind = models.CharField(_("phase"), max_length=10, choices=PhaseKind.choices)
    planned_date = models.DateField(_("planned date"))
    booking = models.OneToOneField(
        "consultations.Booking",
        verbose_name=_("visit booking"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="treatment_phase",
    )

    class Meta:
        verbose_name = _("treatment phase")
        verbose_name_plural = _("treatment phases")
        ordering = ["plan", "planned_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind"], name="consultations_phase_one_per_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=PhaseKind.values),
                name="consultations_phase_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.planned_date:%Y-%m-%d}"


def culture_ready_on(harvest: date) -> date:
    return harvest + timedelta(weeks=CULTURE_WEEKS)


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPLETED = "completed", _("Completed")
    VOIDED = "voided", _("Entered in error")


class TreatmentRecordQuerySet(models.QuerySet["TreatmentRecord"]):
    def completed(self) -> TreatmentRecordQuerySet:
        return self.filter(status=RecordStatus.COMPLETED)


@holds_patient_data(subject="case")
class TreatmentRecord(StatusMachine, TimeStampedModel):
    """What was done: date, offering, cells, route and site, the lot, and who treated.

    A record of the treatment phase states the dose (a cell count, a volume, or
    both); a volume without a count is flagged like the offering passport does:
    it reads as a minimally manipulated product. The lot number is required for
    traceability before the record can be completed.
    """

    TRANSITIONS = TransitionTable(
        {
            RecordStatus.DRAFT: {RecordStatus.COMPLETED, RecordStatus.VOIDED},
            RecordStatus.COMPLETED: {RecordStatus.VOIDED},
            RecordStatus.VOIDED: set(),
        }
    )

    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="treatment_records",
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        verbose_name=_("clinic"),
        on_delete=models.PROTECT,
        related_name="treatment_records",
    )
    offering = models.ForeignKey(
        "clinics.Offering",
        verbose_name=_("offering"),
        on_delete=models.PROTECT,
        related_name="treatment_records",
    )
    plan = models.ForeignKey(
        TreatmentPlan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    kind = models.CharField(
        _("phase"), max_length=10, choices=PhaseKind.choices, default=PhaseKind.TREATMENT
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RecordStatus.choices,
        default=RecordStatus.DRAFT,
        db_index=True,
    )
    treated_on = models.DateField(_("date"))
    cell_count_millions = models.DecimalField(
        _("cells given (millions)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    volume_ml = models.DecimalField(
        _("volume given (mL)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    route = models.CharField(_("route"), max_length=16, choices=Route.choices)
    site = models.CharField(_("site"), max_length=200, help_text=_("e.g. right knee; left hip"))
    cell_lot = models.CharField(
        _("cell lot or batch number"),
        max_length=80,
        blank=True,
        help_text=_("Required to complete the record: it traces the cells to their source."),
    )
    treating_doctor = models.ForeignKey(
        "clinics.Doctor",
        verbose_name=_("treating doctor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="treatment_records",
    )
    notes = models.TextField(
        _("notes"), max_length=3000, blank=True, validators=[MaxLengthValidator(3000)]
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = TreatmentRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("treatment record")
        verbose_name_plural = _("treatment records")
        ordering = ["-treated_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RecordStatus.values),
                name="consultations_treatmentrecord_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=PhaseKind.values),
                name="consultations_treatmentrecord_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=PhaseKind.TREATMENT)
                | models.Q(cell_count_millions__isnull=False)
                | models.Q(volume_ml__isnull=False),
                name="consultations_treatmentrecord_treatment_has_dose",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=RecordStatus.COMPLETED)
                | (models.Q(completed_at__isnull=False) & ~models.Q(cell_lot="")),
                name="consultations_treatmentrecord_completed_has_lot_and_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.treated_on:%Y-%m-%d} ({self.case})"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, object] = {}
        if (
            self.kind == PhaseKind.TREATMENT
            and self.cell_count_millions is None
            and self.volume_ml is None
        ):
            errors["cell_count_millions"] = _("State the cells given: a count, a volume, or both.")
        if self.offering_id and self.clinic_id and self.offering.clinic_id != self.clinic_id:
            errors["offering"] = _("Choose one of this clinic's offerings.")
        doctor = self.treating_doctor if self.treating_doctor_id else None
        if doctor is not None and self.clinic_id and doctor.clinic_id != self.clinic_id:
            errors["treating_doctor"] = _("Choose a doctor of this clinic.")
        if self.status == RecordStatus.COMPLETED and not self.cell_lot.strip():
            errors["cell_lot"] = _("Give the cell lot or batch number before completing.")
        if errors:
            raise ValidationError(errors)

    @property
    def dose_only_in_ml(self) -> bool:
        """Flagged: a volume without a cell count reads as a minimally manipulated product."""
        return self.cell_count_millions is None and self.volume_ml is not None

    @property
    def treatment_ref(self) -> str:
        """The opaque reference a review carries (``clinics`` may not import this app)."""
        return f"consultations.treatmentrecord:{self.pk}"
