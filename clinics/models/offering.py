"""An offering: the "passport" of one treatment a clinic provides."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from ..money import CURRENCY_CHOICES, to_usd
from ..querysets import OfferingQuerySet
from .clinic import Clinic
from .taxonomy import Condition

# No treatment costs more than this; a larger figure is a typo or an attack on the ranking.
MAX_PRICE_USD = Decimal("1000000")


def _usd(amount: Decimal, currency: str) -> Decimal:
    try:
        return to_usd(amount, currency)
    except ValueError:  # unknown currency: reported by the field's own choices check
        return Decimal(0)


class CellType(models.TextChoices):
    MSC = "msc", _("Mesenchymal stem cells (MSC)")
    HSC = "hsc", _("Hematopoietic stem cells (HSC)")
    NK = "nk", _("Natural killer (NK) cells")
    SECRETOME = "secretome", _("Secretome / exosomes (no live cells)")
    OTHER = "other", _("Other / experimental")


# Cell-free products: "cultured" describes the producer cells, not the dose.
CELL_FREE_TYPES: frozenset[str] = frozenset({CellType.SECRETOME})


class CellSource(models.TextChoices):
    BONE_MARROW = "bone_marrow", _("Bone marrow")
    ADIPOSE = "adipose", _("Adipose tissue")
    UMBILICAL_CORD = "umbilical_cord", _("Umbilical cord tissue / Wharton's jelly")
    CORD_BLOOD = "cord_blood", _("Umbilical cord blood")
    PLACENTA = "placenta", _("Placenta")
    PERIPHERAL_BLOOD = "peripheral_blood", _("Peripheral blood")
    OTHER = "other", _("Other")


class CellOrigin(models.TextChoices):
    AUTOLOGOUS = "autologous", _("Autologous (the patient's own cells)")
    ALLOGENEIC = "allogeneic", _("Allogeneic (screened donor)")


class Manipulation(models.TextChoices):
    CULTURED = "cultured", _("Cultured (expanded in a lab)")
    MINIMAL = "minimal", _("Minimally manipulated (same day)")


class Route(models.TextChoices):
    JOINT = "joint", _("Injection into a joint")
    SPINE = "spine", _("Injection into the spine or disc")
    SOFT_TISSUE = "soft_tissue", _("Injection into soft tissue (tendon, ligament, muscle)")
    SKIN = "skin", _("Injection into skin or scalp")
    IV = "iv", _("Intravenous infusion")
    INTRATHECAL = "intrathecal", _("Intrathecal (into the spinal fluid)")
    OTHER = "other", _("Other")


class OfferingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting staff approval")
    LIVE = "live", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Offering(TimeStampedModel):
    """One treatment as a clinic gives it: cells, dose, route, stay and price.

    Invariants (named constraints below, plus ``clean()``):
    - a dose is stated: a cell count, a volume, or both;
    - a cultured cell product states a cell count (cell-free products are exempt:
      they have no cells to count);
    - viability is a percentage; prices are ordered and positive;
    - an allogeneic offering is published only while the clinic holds a
      verified donor-screening credential (``clean()``: it needs another table).
    A dose stated only in mL is shown publicly as minimally manipulated
    (``public_processing``), whatever was typed in ``manipulation``.
    """

    VETTED_FACT_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "conditions",
            "cell_type",
            "cell_source",
            "origin",
            "manipulation",
            "cell_count_millions",
            "volume_ml",
            "viability_percent",
            "route",
            "sessions",
            "price_currency",
            "price_min",
            "price_max",
        }
    )
    COSMETIC_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"title", "summary", "typical_stay_nights", "included"}
    )
    SYSTEM_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "clinic",
            "status",
            "price_min_usd",
            "price_max_usd",
            "price_usd_rate_on",
            "created_at",
            "updated_at",
        }
    )

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="offerings", verbose_name=_("clinic")
    )
    title = models.CharField(_("title"), max_length=160)
    summary = models.TextField(
        _("summary"), max_length=3000, validators=[MaxLengthValidator(3000)], blank=True
    )
    conditions = models.ManyToManyField(
        Condition, verbose_name=_("conditions treated"), related_name="offerings"
    )
    cell_type = models.CharField(_("cell type"), max_length=16, choices=CellType.choices)
    cell_source = models.CharField(_("cell source"), max_length=20, choices=CellSource.choices)
    origin = models.CharField(_("origin"), max_length=12, choices=CellOrigin.choices)
    manipulation = models.CharField(_("manipulation"), max_length=10, choices=Manipulation.choices)
    cell_count_millions = models.DecimalField(
        _("dose (million cells)"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    volume_ml = models.DecimalField(
        _("dose (mL)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    viability_percent = models.PositiveSmallIntegerField(
        _("viability when given (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    route = models.CharField(_("route"), max_length=16, choices=Route.choices)
    sessions = models.PositiveSmallIntegerField(
        _("number of sessions"), default=1, validators=[MinValueValidator(1)]
    )
    typical_stay_nights = models.PositiveSmallIntegerField(
        _("typical stay (nights)"), default=2, validators=[MaxValueValidator(90)]
    )
    price_currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="USD"
    )
    price_min = models.DecimalField(_("price from"), max_digits=12, decimal_places=2)
    price_max = models.DecimalField(_("price up to"), max_digits=12, decimal_places=2)
    # USD equivalents for budget matching, recomputed by the services from the exchange
    # rates on file whenever a price or a rate changes (clinics.money, docs/clinics.md).
    price_min_usd = models.DecimalField(
        _("price from (USD)"), max_digits=12, decimal_places=2, editable=False
    )
    price_max_usd = models.DecimalField(
        _("price up to (USD)"), max_digits=12, decimal_places=2, editable=False
    )
    # The day of the rate behind the equivalents; empty for a price quoted in USD.
    price_usd_rate_on = models.DateField(_("USD rate of"), null=True, blank=True, editable=False)
    included = models.TextField(
        _("what is included"),
        max_length=3000,
        validators=[MaxLengthValidator(3000)],
        blank=True,
        help_text=_("e.g. consultation, imaging, cell processing, transfers, hotel nights"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=OfferingStatus.choices,
        default=OfferingStatus.PENDING,
        db_index=True,
    )

    objects = OfferingQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[conditions])

    class Meta:
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        ordering = ["clinic", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cell_count_millions__isnull=False)
                | models.Q(volume_ml__isnull=False),
                name="clinics_offering_dose_stated",
            ),
            models.CheckConstraint(
                condition=~models.Q(manipulation=Manipulation.CULTURED)
                | models.Q(cell_count_millions__isnull=False)
                | models.Q(cell_type__in=CELL_FREE_TYPES),
                name="clinics_offering_cultured_needs_cell_count",
            ),
            models.CheckConstraint(
                condition=models.Q(viability_percent__isnull=True)
                | models.Q(viability_percent__lte=100),
                name="clinics_offering_viability_is_percentage",
            ),
            models.CheckConstraint(
                condition=models.Q(price_min__gt=0)
                & models.Q(price_max__gte=models.F("price_min")),
                name="clinics_offering_price_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(sessions__gte=1), name="clinics_offering_sessions_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(cell_type__in=CellType.values)
                & models.Q(cell_source__in=CellSource.values)
                & models.Q(origin__in=CellOrigin.values)
                & models.Q(manipulation__in=Manipulation.values)
                & models.Q(route__in=Route.values)
                & models.Q(status__in=OfferingStatus.values),
                name="clinics_offering_choices_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} - {self.clinic}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.cell_count_millions is None and self.volume_ml is None:
            errors.setdefault("cell_count_millions", []).append(
                str(_("State the dose as a cell count, a volume, or both."))
            )
        if (
            self.manipulation == Manipulation.CULTURED
            and self.cell_count_millions is None
            and self.cell_type not in CELL_FREE_TYPES
        ):
            errors.setdefault("cell_count_millions", []).append(
                str(_("A cultured product is dosed by cell count: state the million cells given."))
            )
        if (
            self.price_min is not None
            and self.price_max is not None
            and (self.price_max < self.price_min)
        ):
            errors.setdefault("price_max", []).append(
                str(_("The upper price must not be below the lower price."))
            )
        for name in ("price_min", "price_max"):
            amount = getattr(self, name)
            if (
                amount is not None
                and self.price_currency
                and amount.is_finite()
                and (_usd(amount, self.price_currency) > MAX_PRICE_USD)
            ):
                errors.setdefault(name, []).append(
                    str(_("Enter a price below %(cap)s US dollars.") % {"cap": "1,000,000"})
                )
        if (
            self.origin == CellOrigin.ALLOGENEIC
            and self.status == OfferingStatus.LIVE
            and self.clinic_id is not None
            and not self._clinic_holds_donor_screening()
        ):
            errors.setdefault("origin", []).append(
                str(
                    _(
                        "A donor-cell (allogeneic) offering needs a verified donor-screening "
                        "credential on file before it is published."
                    )
                )
            )
        if errors:
            raise ValidationError(errors)

    def _clinic_holds_donor_screening(self) -> bool:
        from .vetting import Credential, CredentialKind, CredentialStatus

        return Credential.objects.filter(
            clinic_id=self.clinic_id,
            kind=CredentialKind.DONOR_SCREENING,
            status=CredentialStatus.VERIFIED,
        ).exists()

    @property
    def is_cell_free(self) -> bool:
        return self.cell_type in CELL_FREE_TYPES

    @property
    def dose_only_in_ml(self) -> bool:
        return self.cell_count_millions is None and self.volume_ml is not None

    @property
    def public_processing(self) -> str:
        """What the public sees about processing; a dose only in mL reads as minimal."""
        if self.is_cell_free:
            return str(_("Cell-free product (no live cells)"))
        if self.dose_only_in_ml:
            return str(Manipulation.MINIMAL.label)
        return str(Manipulation(self.manipulation).label)

    @property
    def public_manipulation(self) -> str:
        """The manipulation value shown publicly (``minimal`` whenever the dose is only in mL)."""
        if self.dose_only_in_ml:
            return Manipulation.MINIMAL.value
        return str(self.manipulation)

    def plain_words(self) -> list[str]:
        """The passport as plain sentences for patients, in the active language."""
        source = str(CellSource(self.cell_source).label).lower()
        out: list[str] = []
        if self.is_cell_free:
            out.append(
                gettext(
                    "A cell-free product made from %(source)s cells: it contains no live cells."
                )
                % {"source": source}
            )
        elif self.origin == CellOrigin.AUTOLOGOUS:
            out.append(gettext("Your own cells, taken from your %(source)s.") % {"source": source})
        else:
            out.append(
                gettext(
                    "Donor cells from %(source)s. Donors are screened for hepatitis B and C, HIV "
                    "and syphilis."
                )
                % {"source": source}
            )
        if self.dose_only_in_ml:
            out.append(
                gettext(
                    "Prepared the same day with minimal processing: the dose is %(ml)s mL of a "
                    "cell mixture, not a counted number of stem cells."
                )
                % {"ml": self.volume_ml}
            )
        elif self.cell_count_millions is not None:
            if self.manipulation == Manipulation.CULTURED and not self.is_cell_free:
                out.append(
                    gettext(
                        "The cells are grown in a laboratory before treatment; you receive "
                        "%(count)s million cells."
                    )
                    % {"count": self.cell_count_millions}
                )
                if self.origin == CellOrigin.AUTOLOGOUS:
                    out.append(
                        gettext(
                            "Growing your own cells takes about six weeks between collection and "
                            "treatment."
                        )
                    )
            else:
                out.append(
                    gettext("You receive %(count)s million cells.")
                    % {"count": self.cell_count_millions}
                )
        if self.viability_percent is not None and not self.is_cell_free:
            out.append(
                gettext("%(pct)s%% of the cells are alive when given.")
                % {"pct": self.viability_percent}
            )
        route = str(Route(self.route).label).lower()
        out.append(gettext("Given by: %(route)s.") % {"route": route})
        out.append(
            ngettext(
                "%(n)s session; plan to stay about %(nights)s nights.",
                "%(n)s sessions; plan to stay about %(nights)s nights.",
                self.sessions,
            )
            % {"n": self.sessions, "nights": self.typical_stay_nights}
        )
        return out
