"""The triage queue: cases in the admin.

Every change goes through a service (status, owner, proposals), so the admin
writes the same history and audit rows as the rest of the portal. Patient
answers are read-only here: a concierge who needs an answer changed asks the
patient (case messages), so what the patient said stays what they said.

``CaseAdmin`` composes its parts: the page layout and the clinical-field rule
(case_fieldsets), the columns (case_columns), and the actions and extra views
(case_commands). What stays here is what decides which rows and fields a
request gets: the queryset, the search, permissions, and the change form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from ..models import (
    IMAGING_TYPES,
    RECORD_TYPES,
    Case,
)
from .base import ConciergeAdminMixin, is_clinician
from .case_columns import CaseColumnsMixin
from .case_commands import TARGET_STATUSES, CaseCommandsMixin
from .case_fieldsets import FIELDSETS, ClinicalDeltaHelper, fieldsets_for
from .filters import (
    AgeBucketFilter,
    FlagFilter,
    OwnerFilter,
    PatientCountryFilter,
    QueueStatusFilter,
    WaitingFilter,
)
from .inlines import CaseDocumentInline, CaseMessageInline, ClinicShareInline, ProposalInline
from .queue import QueueChangeList, case_search, document_count
from .summary import case_summary


@admin.register(Case)
class CaseAdmin(CaseColumnsMixin, CaseCommandsMixin, ConciergeAdminMixin, SimpleHistoryAdmin):
    change_form_template = "intake/admin/case_change_form.html"
    list_display = (
        "reference",
        "alert_display",
        "patient_display",
        "age_display",
        "condition_display",
        "severity_display",
        "flags_display",
        "documents_display",
        "status",
        "owner_display",
        "submitted_at",
    )
    list_display_links = ("reference",)
    list_filter = (
        QueueStatusFilter,
        FlagFilter,
        "condition__category",
        PatientCountryFilter,
        OwnerFilter,
        AgeBucketFilter,
        WaitingFilter,
    )
    search_fields = ("reference", "patient__full_name", "patient__email")
    search_help_text = _("Search by case reference, patient name or email.")
    list_select_related = ("patient", "condition", "owner")
    # A work queue, taken from the top (the longest-waiting case first): 25 rows fill a
    # screen or two, and every row drawn costs as much as the page's queries together.
    list_per_page = 25
    # First come, first served: the longest-waiting case is at the top.
    ordering = ("submitted_at", "pk")
    show_full_result_count = False
    fieldsets = FIELDSETS
    inlines = (CaseDocumentInline, ProposalInline, ClinicShareInline, CaseMessageInline)
    actions = ("assign_to_me", "unassign", "propose_clinics")

    class Media:
        css = {"all": ("css/intake-admin.css",)}

    # --- queryset -------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        # Per-row subqueries, no GROUP BY over every case (queue.document_count).
        return (
            super()
            .get_queryset(request)
            .annotate(
                imaging_count=document_count(IMAGING_TYPES),
                record_count=document_count(RECORD_TYPES),
            )
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[QueueChangeList]:
        return QueueChangeList

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        names = [name for _title, opts in FIELDSETS for name in opts["fields"]]
        return names

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        # The history page lists each change with its old and new value: the clinical
        # answers' values are for clinician reviewers only, as on the change page.
        if is_clinician(request):
            return super().get_historical_record_context_helper(request, historical_record)
        return ClinicalDeltaHelper(self.model, historical_record)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return fieldsets_for(clinician=is_clinician(request))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Case], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        # A reference exactly, or names and e-mails through their own indexes (queue.py).
        if not search_term.strip():
            return queryset, False
        return case_search(queryset, search_term), False

    # --- change page ------------------------------------------------------------------
    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Case | None = None,
    ) -> TemplateResponse:
        if obj is not None:
            documents = list(obj.documents.all())
            context.update(
                {
                    "summary": case_summary(obj, documents),
                    "targets": [s for s in TARGET_STATUSES if obj.can_transition_to(s.value)],
                    "triage_url": reverse("admin:intake_case_triage", args=[obj.pk]),
                    "is_mine": obj.owner_id == request.user.pk,
                    "pixels_to_check": [d for d in documents if d.clinic_copy_withheld],
                }
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The case form is read-only: status, owner and proposals change only
        # through the actions and buttons (case_commands), which call services.
        return False

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Case | None:
        # The change page reads the patient, condition and owner: join them once. Not the
        # queue's document counts (get_queryset): the page lists the documents themselves.
        queryset = (
            super()
            .get_queryset(request)
            .select_related("patient", "condition", "owner", "preferred_clinic")
        )
        field = Case._meta.pk if from_field is None else Case._meta.get_field(from_field)
        try:
            value = field.to_python(object_id)  # type: ignore[union-attr]
            return queryset.get(**{field.name: value})  # type: ignore[union-attr]
        except (Case.DoesNotExist, ValidationError, ValueError):
            return None
