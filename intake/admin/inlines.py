"""Rows shown under a case in the admin: documents, proposals, shares, messages.

All read-only: documents arrive through the intake's sanitizer, proposals are
edited on their own page, shares are the patient's consent, messages are the
patient's words.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.uploads import active_content_label

from ..models import CaseDocument, CaseMessage, ClinicShare, Proposal
from .base import ReadOnlyInline, is_clinician


class CaseDocumentInline(ReadOnlyInline):
    model = CaseDocument
    verbose_name_plural = _("Documents (sanitized; download is logged)")
    fields = (
        "doc_type",
        "kind",
        "size_display",
        "details",
        "active_content",
        "uploaded_at",
        "channel",
        "download",
    )
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records and imaging are for clinician reviewers only; the case summary
        # still tells every concierge how many there are.
        return is_clinician(request)

    @admin.display(description=_("size"))
    def size_display(self, obj: CaseDocument) -> str:
        return str(filesizeformat(obj.size))

    @admin.display(description=_("details"))
    def details(self, obj: CaseDocument) -> str:
        meta = obj.metadata or {}
        keys = ("modality", "body_part", "study_date", "width", "height", "pages")
        return ", ".join(f"{k}: {meta[k]}" for k in keys if meta.get(k)) or "-"

    @admin.display(description=_("active content"))
    def active_content(self, obj: CaseDocument) -> str:
        # Set by core.uploads for a PDF stored disarmed: what was taken out of it.
        removed = (obj.metadata or {}).get("active_content_removed")
        if not removed:
            return "-"
        return format_html(
            '<span class="sc-badge sc-badge-caution">{}</span> {}',
            _("Active content removed"),
            active_content_label(removed),
        )

    @admin.display(description=_("download"))
    def download(self, obj: CaseDocument) -> str:
        url = reverse("admin:intake_case_document", args=[obj.case_id, obj.pk])
        return format_html(
            '<a class="button sc-download" href="{}" download>{}</a>', url, _("Download")
        )


class ClinicShareInline(ReadOnlyInline):
    model = ClinicShare
    verbose_name_plural = _("Clinics the patient shares this case with")
    fields = ("clinic", "granted_at", "revoked_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClinicShare]:
        return super().get_queryset(request).select_related("clinic")


class ProposalInline(ReadOnlyInline):
    model = Proposal
    verbose_name_plural = _("Proposals")
    fields = ("link", "status", "created_at", "sent_at", "clinic_count")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        return super().get_queryset(request).annotate(n_items=Count("items"))

    @admin.display(description=_("proposal"))
    def link(self, obj: Proposal) -> str:
        url = reverse("admin:intake_proposal_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open proposal #%(id)s") % {"id": obj.pk})

    @admin.display(description=_("clinics"))
    def clinic_count(self, obj: Proposal) -> int:
        return int(getattr(obj, "n_items", 0))


class CaseMessageInline(ReadOnlyInline):
    model = CaseMessage
    verbose_name_plural = _("Messages with the patient")
    fields = ("created_at", "sender", "author", "body", "read_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseMessage]:
        return super().get_queryset(request).select_related("author")
