"""The case: one intake by one patient, from draft to closed."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from core.privacy import holds_patient_data
from core.transitions import StatusMachine, TransitionTable

# No 0/O, 1/I/L, 5/S, 8/B, 2/Z: a reference read over the phone survives.
REFERENCE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
REFERENCE_RE = r"^SC-[34679ACDEFGHJKMNPQRTUVWXY]{4}-[34679ACDEFGHJKMNPQRTUVWXY]{4}$"


def new_case_reference() -> str:
    """A random, non-sequential reference like ``SC-7K4M-Q9XP`` (25^8 ~ 1.5e11)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"SC-{chars[:4]}-{chars[4:]}"


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (not submitted)")
    NEW = "new", _("New")
    IN_REVIEW = "in_review", _("In review")
    CLINICIAN_REVIEW = "clinician_review", _("Clinician review")
    READY_FOR_CLINIC = "ready_for_clinic", _("Ready for clinics")
    MATCHED = "matched", _("Matched")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = CaseStatus
CLOSED_STATUSES: frozenset[str] = frozenset({S.CLOSED, S.WITHDRAWN})
OPEN_STATUSES: frozenset[str] = frozenset(set(S.values) - CLOSED_STATUSES)


class ConditionDuration(models.TextChoices):
    UNDER_6_MONTHS = "lt6m", _("Less than 6 months")
    UNDER_1_YEAR = "6m_1y", _("6 to 12 months")
    UNDER_3_YEARS = "1y_3y", _("1 to 3 years")
    UNDER_10_YEARS = "3y_10y", _("3 to 10 years")
    OVER_10_YEARS = "gt10y", _("More than 10 years")


class CancerHistory(models.TextChoices):
    NEVER = "never", _("No, never")
    PAST = "past", _("Yes, in the past")
    CURRENT = "current", _("Yes, now or under treatment")


class ImmuneCompromise(models.TextChoices):
    NONE = "none", _("No")
    MILD = "mild", _("Somewhat (for example diabetes or low-dose steroids)")
    SEVERE = (
        "severe",
        _(
            "Severely (for example chemotherapy, an organ transplant or "
            "high-dose immunosuppressants)"
        ),
    )
    UNSURE = "unsure", _("I am not sure")


class SmokingStatus(models.TextChoices):
    NEVER = "never", _("Never smoked")
    FORMER = "former", _("Former smoker")
    CURRENT = "current", _("I smoke now")


class AlcoholUse(models.TextChoices):
    NONE = "none", _("None")
    LIGHT = "light", _("Up to 7 drinks a week")
    MODERATE = "moderate", _("8 to 14 drinks a week")
    HEAVY = "heavy", _("More than 14 drinks a week")


class TravelWindow(models.TextChoices):
    ASAP = "asap", _("As soon as possible")
    WITHIN_3_MONTHS = "3m", _("Within 3 months")
    WITHIN_6_MONTHS = "6m", _("In 3 to 6 months")
    WITHIN_12_MONTHS = "12m", _("In 6 to 12 months")
    EXPLORING = "exploring", _("Just exploring for now")


@holds_patient_data(owner="patient")
class Case(StatusMachine, TimeStampedModel):
    """Everything a patient told us in the intake, plus triage state.

    A draft is saved from the first wizard step so it can be resumed on
    another device; answers of later steps stay null/blank until given, which
    is why most fields allow that. The wizard's forms decide what is required.
    """

    TRANSITIONS = TransitionTable(
        {
            # Submission goes straight to clinician review when a hard
            # contraindication was declared (intake.services.submission).
            S.DRAFT: frozenset({S.NEW, S.CLINICIAN_REVIEW, S.WITHDRAWN}),
            S.NEW: frozenset({S.IN_REVIEW, S.CLINICIAN_REVIEW, S.CLOSED, S.WITHDRAWN}),
            S.IN_REVIEW: frozenset({S.CLINICIAN_REVIEW, S.READY_FOR_CLINIC, S.CLOSED, S.WITHDRAWN}),
            S.CLINICIAN_REVIEW: frozenset({S.IN_REVIEW, S.READY_FOR_CLINIC, S.CLOSED, S.WITHDRAWN}),
            S.READY_FOR_CLINIC: frozenset({S.MATCHED, S.IN_REVIEW, S.CLOSED, S.WITHDRAWN}),
            S.MATCHED: frozenset({S.READY_FOR_CLINIC, S.CLOSED, S.WITHDRAWN}),
            S.CLOSED: frozenset(),
            S.WITHDRAWN: frozenset(),
        }
    )

    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=new_case_reference, editable=False
    )
    patient = models.ForeignKey(
        "intake.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="cases"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CaseStatus.choices,
        default=CaseStatus.DRAFT,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (staff)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_cases",
        limit_choices_to={"is_staff": True},
    )
    preferred_clinic = models.ForeignKey(
        "clinics.Clinic",
        verbose_name=_("clinic chosen on its profile"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="preferred_by_cases",
    )
    draft_step = models.CharField(_("last wizard step"), max_length=20, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, db_index=True)

    # --- condition ---
    condition = models.ForeignKey(
        "clinics.Condition",
        verbose_name=_("condition"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    condition_other = models.CharField(_("other condition"), max_length=200, blank=True)
    duration = models.CharField(
        _("how long"), max_length=8, choices=ConditionDuration.choices, blank=True
    )
    severity = models.PositiveSmallIntegerField(
        _("severity (0-10)"),
        null=True,
        blank=True,
        help_text=_("0 = no symptoms, 10 = the worst imaginable."),
    )
    functional_impact = models.TextField(_("effect on daily life"), blank=True)
    symptoms = models.TextField(_("symptoms"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    diagnosis_confirmed = models.BooleanField(
        _("diagnosis confirmed by a doctor"), null=True, blank=True
    )

    # --- medical history ---
    other_conditions = models.TextField(_("other conditions"), blank=True)
    current_medications = models.TextField(_("current medications"), blank=True)
    takes_nsaids = models.BooleanField(_("takes NSAIDs"), null=True, blank=True)
    nsaids_details = models.CharField(_("NSAIDs: which"), max_length=500, blank=True)
    takes_immunosuppressants = models.BooleanField(
        _("takes immunosuppressants"), null=True, blank=True
    )
    immunosuppressants_details = models.CharField(
        _("immunosuppressants: which"), max_length=500, blank=True
    )
    takes_anticoagulants = models.BooleanField(_("takes anticoagulants"), null=True, blank=True)
    anticoagulants_details = models.CharField(
        _("anticoagulants: which"), max_length=500, blank=True
    )
    allergies = models.TextField(_("allergies"), blank=True)
    surgeries = models.TextField(_("surgeries"), blank=True)
    had_cell_therapy = models.BooleanField(
        _("previous stem-cell or PRP treatment"), null=True, blank=True
    )
    cell_therapy_where = models.CharField(
        _("previous treatment: where"), max_length=300, blank=True
    )
    cell_therapy_when = models.CharField(_("previous treatment: when"), max_length=100, blank=True)
    cell_therapy_result = models.TextField(_("previous treatment: result"), blank=True)
    cell_therapy_adverse = models.BooleanField(
        _("previous treatment: bad reaction"), null=True, blank=True
    )

    # --- screening ---
    active_infection = models.BooleanField(_("active infection"), null=True, blank=True)
    active_infection_details = models.CharField(_("infection: details"), max_length=500, blank=True)
    cancer = models.CharField(_("cancer"), max_length=8, choices=CancerHistory.choices, blank=True)
    cancer_which = models.CharField(_("cancer: which"), max_length=200, blank=True)
    cancer_year = models.PositiveSmallIntegerField(
        _("cancer: year of diagnosis or last treatment"), null=True, blank=True
    )
    immune_compromise = models.CharField(
        _("weakened immune system"), max_length=8, choices=ImmuneCompromise.choices, blank=True
    )
    immune_compromise_details = models.CharField(
        _("immune system: details"), max_length=500, blank=True
    )
    pregnant = models.BooleanField(
        _("pregnant, possibly pregnant or breastfeeding"), null=True, blank=True
    )
    bleeding_disorder = models.BooleanField(_("bleeding disorder"), null=True, blank=True)
    bleeding_disorder_details = models.CharField(
        _("bleeding disorder: which"), max_length=300, blank=True
    )
    smoking = models.CharField(
        _("smoking"), max_length=8, choices=SmokingStatus.choices, blank=True
    )
    alcohol = models.CharField(_("alcohol"), max_length=8, choices=AlcoholUse.choices, blank=True)

    # --- records ---
    records_later = models.BooleanField(_("will send records later"), default=False)

    # --- plans ---
    budget_min_usd = models.PositiveIntegerField(_("budget from (USD)"), null=True, blank=True)
    budget_max_usd = models.PositiveIntegerField(_("budget up to (USD)"), null=True, blank=True)
    countries_accepted = models.JSONField(
        _("countries they would travel to"),
        default=list,
        blank=True,
        help_text=_("ISO 3166-1 alpha-2 codes; empty with 'any country' set means anywhere."),
    )
    any_country = models.BooleanField(_("would travel to any country"), default=False)
    travel_window = models.CharField(
        _("when"), max_length=10, choices=TravelWindow.choices, blank=True
    )
    travel_companion = models.BooleanField(_("travels with a companion"), null=True, blank=True)
    needs_travel_help = models.BooleanField(_("wants visa or travel help"), null=True, blank=True)
    elsewhere_clinic_name = models.CharField(
        _("clinic found elsewhere: name"), max_length=200, blank=True
    )
    elsewhere_clinic_website = models.URLField(
        _("clinic found elsewhere: website"), max_length=300, blank=True
    )

    # --- triage (computed at submission and when documents arrive) ---
    triage_flags = models.JSONField(
        _("triage flags"),
        default=list,
        blank=True,
        help_text=_("Codes from intake.triage.FLAGS, computed by the triage service."),
    )
    has_hard_contraindication = models.BooleanField(
        _("hard contraindication"), default=False, db_index=True
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-submitted_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CaseStatus.values), name="intake_case_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(reference__regex=REFERENCE_RE),
                name="intake_case_reference_format",
            ),
            models.CheckConstraint(
                condition=models.Q(severity__isnull=True)
                | models.Q(severity__gte=0, severity__lte=10),
                name="intake_case_severity_range",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_min_usd__isnull=True)
                | models.Q(budget_max_usd__isnull=True)
                | models.Q(budget_min_usd__lte=models.F("budget_max_usd")),
                name="intake_case_budget_min_lte_max",
            ),
            models.CheckConstraint(
                # A draft can be withdrawn without ever being submitted.
                condition=models.Q(status__in=[CaseStatus.DRAFT, CaseStatus.WITHDRAWN])
                | models.Q(submitted_at__isnull=False),
                name="intake_case_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=CaseStatus.DRAFT) | models.Q(submitted_at__isnull=True),
                name="intake_case_draft_not_submitted",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="intake_case_queue_idx"),
            # The queue's search: a status's cases by patient, read from the index alone
            # (the filtered count joins them to the patients a name search found).
            models.Index(fields=["status", "patient"], name="intake_case_status_patient_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    # --- state machine ---

    @property
    def is_draft(self) -> bool:
        return self.status == CaseStatus.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_submitted(self) -> bool:
        """Sent to us once, whatever its state now (a draft withdrawn unsent never was)."""
        return self.submitted_at is not None

    def has_imaging_or_records(self) -> bool:
        from .documents import READINESS_TYPES

        if self.pk is None:
            return False
        return self.documents.filter(doc_type__in=READINESS_TYPES).exists()

    @property
    def condition_label(self) -> str:
        if self.condition_id is not None and self.condition is not None:
            return str(self.condition)
        return self.condition_other

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        if (
            self.budget_min_usd is not None
            and self.budget_max_usd is not None
            and self.budget_min_usd > self.budget_max_usd
        ):
            errors.setdefault("budget_max_usd", []).append(
                str(_("The upper end of the budget must not be below the lower end."))
            )
        if self.severity is not None and not 0 <= self.severity <= 10:
            errors.setdefault("severity", []).append(str(_("Severity runs from 0 to 10.")))
        if self.cancer_year is not None and not 1900 <= self.cancer_year <= timezone.now().year:
            errors.setdefault("cancer_year", []).append(str(_("Enter a year up to this year.")))
        if self.status == CaseStatus.READY_FOR_CLINIC and not self.has_imaging_or_records():
            errors.setdefault("status", []).append(
                str(
                    _(
                        "A case needs at least one imaging study or medical record "
                        "before clinics can see it."
                    )
                )
            )
        if errors:
            raise ValidationError(errors)
