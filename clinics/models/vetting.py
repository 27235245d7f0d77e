"""The vetting register: credentials on file, expiry notices, and vetting reviews."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from ..querysets import CredentialQuerySet
from .clinic import Clinic, ClinicStatus


class CredentialKind(models.TextChoices):
    MEDICAL_LICENCE = "medical_licence", _("Medical or clinic licence")
    LAB_CERTIFICATE = "lab_certificate", _("GMP or national lab certificate (e.g. NPRA)")
    DONOR_SCREENING = "donor_screening", _("Donor-screening protocol")
    CELL_QUALITY = "cell_quality", _("Cell-quality documentation / certificate of analysis")
    INSURANCE = "insurance", _("Malpractice or liability insurance")


class CredentialStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class DocumentKind(models.TextChoices):
    # Mirrors core.uploads.FileKind for the kinds a credential may be.
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"


class Credential(TimeStampedModel):
    """One document in a clinic's vetting register.

    A clinic uploads; staff verify or reject. Only a verified credential whose
    expiry date has not passed counts ("current"). A credential is never edited
    by a clinic: a renewal is a new upload.
    """

    VETTED_FACT_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"kind", "issuer", "number", "issued_on", "expires_on", "document"}
    )
    COSMETIC_FIELDS: ClassVar[frozenset[str]] = frozenset()
    SYSTEM_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "clinic",
            "status",
            "verified_by",
            "verified_at",
            "decision_note",
            "uploaded_by",
            "document_sha256",
            "document_size",
            "document_kind",
            "document_content_type",
            "document_name",
            "document_active_content_removed",
            "created_at",
            "updated_at",
        }
    )

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="credentials", verbose_name=_("clinic")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CredentialKind.choices)
    issuer = models.CharField(_("issuer"), max_length=200)
    number = models.CharField(_("number"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(
        _("expires on"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Leave empty only if the document has no expiry date."),
    )
    # Stored by the service under a server-chosen name in private storage.
    document = models.FileField(_("document"), upload_to="clinics/credentials/", max_length=200)
    document_sha256 = models.CharField(_("SHA-256"), max_length=64)
    document_size = models.PositiveIntegerField(_("size (bytes)"))
    document_kind = models.CharField(_("file type"), max_length=8, choices=DocumentKind.choices)
    document_content_type = models.CharField(_("content type"), max_length=64)
    document_name = models.CharField(_("uploaded as"), max_length=120, blank=True)
    # A PDF is stored disarmed (core.uploads.pdf): staff see that scripts, attachments
    # or similar were taken out of what the clinic sent.
    document_active_content_removed = models.BooleanField(
        _("active content removed"), default=False
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CredentialStatus.choices,
        default=CredentialStatus.PENDING,
        db_index=True,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    decision_note = models.CharField(_("staff note"), max_length=300, blank=True)

    objects = CredentialQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["clinic", "kind", "-issued_on"]
        indexes = [
            models.Index(fields=["clinic", "kind", "status"], name="clinics_cred_lookup_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CredentialKind.values)
                & models.Q(status__in=CredentialStatus.values),
                name="clinics_credential_choices_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=CredentialStatus.VERIFIED)
                | models.Q(verified_at__isnull=False),
                name="clinics_credential_verified_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="clinics_credential_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} - {self.clinic}"

    def is_current(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.status == CredentialStatus.VERIFIED and (
            self.expires_on is None or self.expires_on >= on
        )

    def is_expired(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.expires_on is not None and self.expires_on < on


# What each credential kind underwrites. A clinic's public "verified" badge needs
# every CLINIC_BADGE_KINDS credential current; an offering's badge needs the
# clinic badge plus the kinds its cells require (see querysets.py).
CLINIC_BADGE_KINDS: frozenset[str] = frozenset(
    {CredentialKind.MEDICAL_LICENCE, CredentialKind.INSURANCE}
)
CULTURED_BADGE_KINDS: frozenset[str] = frozenset(
    {CredentialKind.LAB_CERTIFICATE, CredentialKind.CELL_QUALITY}
)
ALLOGENEIC_BADGE_KINDS: frozenset[str] = frozenset({CredentialKind.DONOR_SCREENING})


class NoticeKind(models.TextChoices):
    EXPIRING = "expiring", _("Expires within 30 days")
    EXPIRED = "expired", _("Expired")


class CredentialNotice(models.Model):
    """The business event "this credential expires soon / has expired": once per kind.

    The unique constraint is what makes the daily job idempotent: a second run
    finds the row and creates nothing. Its e-mails are outbox rows (one per
    reader, ``about`` this notice); their delivery is the outbox's to track.
    """

    credential = models.ForeignKey(
        Credential, on_delete=models.CASCADE, related_name="notices", verbose_name=_("credential")
    )
    kind = models.CharField(_("notice"), max_length=10, choices=NoticeKind.choices)
    created_at = models.DateTimeField(_("due since"), default=timezone.now)

    class Meta:
        verbose_name = _("credential notice")
        verbose_name_plural = _("credential notices")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "kind"], name="clinics_credentialnotice_once_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} - {self.credential_id}"


class VettingDecision(models.TextChoices):
    VETTED = "vetted", _("Vetted: publish")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


DECISION_TO_STATUS: dict[str, str] = {
    VettingDecision.VETTED: ClinicStatus.VETTED,
    VettingDecision.REJECTED: ClinicStatus.REJECTED,
    VettingDecision.SUSPENDED: ClinicStatus.SUSPENDED,
}


class VettingReview(TimeStampedModel):
    """One pass of the vetting checklist over a clinic, and its decision.

    Reviews are never deleted: the list of them is the clinic's vetting history,
    and each row keeps its own field history too.
    """

    CHECKLIST: ClassVar[tuple[str, ...]] = (
        "medical_team_checked",
        "treatments_checked",
        "cell_sourcing_checked",
        "licences_match_country_rules",
        "lab_certification_checked",
        "follow_up_process_checked",
        "agrees_to_publish_reviews",
    )

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="vetting_reviews", verbose_name=_("clinic")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    medical_team_checked = models.BooleanField(_("medical team checked"), default=False)
    treatments_checked = models.BooleanField(_("treatments offered checked"), default=False)
    cell_sourcing_checked = models.BooleanField(_("cell sourcing checked"), default=False)
    licences_match_country_rules = models.BooleanField(
        _("licences match the country's rules"), default=False
    )
    lab_certification_checked = models.BooleanField(
        _("GMP / national lab certification checked"), default=False
    )
    follow_up_process_checked = models.BooleanField(_("follow-up process checked"), default=False)
    agrees_to_publish_reviews = models.BooleanField(
        _("agrees that independent reviews, good and bad, are published"), default=False
    )
    notes = models.TextField(_("reviewer notes"), blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=VettingDecision.choices, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vetting review")
        verbose_name_plural = _("vetting reviews")
        ordering = ["clinic", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision="", decided_at__isnull=True)
                | ~models.Q(decision="") & models.Q(decided_at__isnull=False),
                name="clinics_vettingreview_decision_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(decision=VettingDecision.VETTED)
                | models.Q(
                    medical_team_checked=True,
                    treatments_checked=True,
                    cell_sourcing_checked=True,
                    licences_match_country_rules=True,
                    lab_certification_checked=True,
                    follow_up_process_checked=True,
                    agrees_to_publish_reviews=True,
                ),
                name="clinics_vettingreview_vetted_needs_full_checklist",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic} - {self.get_decision_display() or _('open')}"

    @property
    def is_decided(self) -> bool:
        return bool(self.decision)

    @property
    def checklist_complete(self) -> bool:
        return all(getattr(self, name) for name in self.CHECKLIST)

    def missing_checks(self) -> list[str]:
        return [
            str(getattr(self._meta.get_field(name), "verbose_name", name))
            for name in self.CHECKLIST
            if not getattr(self, name)
        ]
