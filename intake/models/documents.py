"""Documents a patient uploads: imaging, records, lab results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.privacy import holds_patient_data
from core.uploads import burned_in


class DocumentType(models.TextChoices):
    """What the patient says the document is (the file's *format* is ``kind``)."""

    XRAY = "xray", _("X-ray")
    MRI = "mri", _("MRI")
    CT = "ct", _("CT scan")
    ULTRASOUND = "ultrasound", _("Ultrasound")
    LAB = "lab", _("Lab results")
    RECORD = "record", _("Medical record or doctor's letter")
    OTHER = "other", _("Other")


class DocumentCategory(models.TextChoices):
    IMAGING = "imaging", _("Imaging")
    RECORD = "record", _("Medical record")
    OTHER = "other", _("Other")


IMAGING_TYPES: frozenset[str] = frozenset(
    {DocumentType.XRAY, DocumentType.MRI, DocumentType.CT, DocumentType.ULTRASOUND}
)
RECORD_TYPES: frozenset[str] = frozenset({DocumentType.LAB, DocumentType.RECORD})
# A case may only go to clinics with at least one of these (Case.clean, case_transition).
READINESS_TYPES: frozenset[str] = IMAGING_TYPES | RECORD_TYPES


class UploadChannel(models.TextChoices):
    WIZARD = "wizard", _("Intake wizard")
    CASE_PAGE = "case_page", _("Patient case page")
    STAFF = "staff", _("Concierge staff")


class PixelsFlag(models.TextChoices):
    """Why a DICOM's pixels may show the patient (``core.uploads.burned_in``)."""

    BURNED_IN = burned_in.BURNED_IN_ANNOTATION, _("The file says text is burned into the image")
    RECOGNIZABLE = (
        burned_in.RECOGNIZABLE_FEATURES,
        _("The file says the image shows a face or other recognisable features"),
    )
    MODALITY = (
        burned_in.RISKY_MODALITY,
        _("Ultrasound, screenshot, photograph or similar: such images often show the name"),
    )


@holds_patient_data(subject="case")
class CaseDocument(models.Model):
    """One sanitized file in private storage; served only by authorising views."""

    case = models.ForeignKey(
        "intake.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="documents"
    )
    doc_type = models.CharField(_("document type"), max_length=12, choices=DocumentType.choices)
    # core.uploads.FileKind value (pdf/jpeg/png/dicom), decided by content.
    kind = models.CharField(_("file format"), max_length=8)
    content_type = models.CharField(_("content type"), max_length=100)
    file = models.FileField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    original_name = models.CharField(_("original name"), max_length=120, blank=True)
    channel = models.CharField(
        _("uploaded via"),
        max_length=12,
        choices=UploadChannel.choices,
        default=UploadChannel.WIZARD,
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)
    # Set when a clinic's de-identified copy was withheld because the pixels may show
    # the patient; cleared by staff who looked at the image (then clinics get the copy).
    pixels_flag = models.CharField(
        _("pixels to check"), max_length=32, choices=PixelsFlag.choices, blank=True
    )
    pixels_flagged_at = models.DateTimeField(_("pixels flagged"), null=True, blank=True)
    pixels_cleared_at = models.DateTimeField(_("pixels checked"), null=True, blank=True)
    pixels_cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pixels checked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(doc_type__in=DocumentType.values),
                name="intake_casedocument_doc_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(size__gt=0), name="intake_casedocument_size_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="intake_casedocument_sha256_hex",
            ),
            models.CheckConstraint(
                condition=models.Q(pixels_flag="") | models.Q(pixels_flag__in=PixelsFlag.values),
                name="intake_casedocument_pixels_flag_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(pixels_flag="") | models.Q(pixels_flagged_at__isnull=False),
                name="intake_casedocument_pixels_flag_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(pixels_cleared_at__isnull=True) | ~models.Q(pixels_flag=""),
                name="intake_casedocument_pixels_cleared_only_if_flagged",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} ({self.kind})"

    @property
    def category(self) -> str:
        if self.doc_type in IMAGING_TYPES:
            return DocumentCategory.IMAGING
        if self.doc_type in RECORD_TYPES:
            return DocumentCategory.RECORD
        return DocumentCategory.OTHER

    @property
    def clinic_copy_withheld(self) -> bool:
        """Flagged for burned-in identifiers and not yet checked by staff."""
        return bool(self.pixels_flag) and self.pixels_cleared_at is None

    @property
    def download_name(self) -> str:
        """A server-chosen name: the patient's own file name never reaches a header."""
        ext = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png", "dicom": ".dcm"}.get(self.kind, "")
        return f"{self.case.reference}-{self.doc_type}-{self.pk}{ext}"
