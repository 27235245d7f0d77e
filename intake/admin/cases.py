"""The triage queue: cases in the admin.

Every change goes through a service (status, owner, proposals), so the admin
writes the same history and audit rows as the rest of the portal. Patient
answers are read-only here: a concierge who needs an answer changed asks the
patient (case messages), so what the patient said stays what they said.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_countries import countries
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelDelta
from simple_history.template_utils import HistoricalRecordContextHelper

from clinics.models import ConditionCategory
from core.exceptions import DomainError
from core.models import User
from core.uploads import private_file_response

from ..matching import matching_propose
from ..models import (
    IMAGING_TYPES,
    RECORD_TYPES,
    Case,
    CaseStatus,
)
from ..services.access_log import document_download_record
from ..services.staff import cases_assign, cases_transition
from ..staff_selectors import staff_document_or_404
from .base import ConciergeAdminMixin, is_clinician, is_concierge
from .filters import (
    AgeBucketFilter,
    FlagFilter,
    OwnerFilter,
    PatientCountryFilter,
    QueueStatusFilter,
    WaitingFilter,
)
from .inlines import CaseDocumentInline, CaseMessageInline, ClinicShareInline, ProposalInline
from .pixels import pixels_clear_command
from .queue import QueueChangeList, case_search, document_count
from .summary import Badge, badges_html, case_summary, flag_badges

# Statuses staff may move a case to from the admin (a draft is the patient's).
TARGET_STATUSES: list[CaseStatus] = [s for s in CaseStatus if s != CaseStatus.DRAFT]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# A condition's category label, looked up per row without Django's get_FOO_display
# (which rebuilds a hashable copy of the choices, translating every label, each call).
CATEGORY_LABELS: dict[str, str | Promise] = dict(ConditionCategory.choices)


def _badges(obj: Case) -> list[Badge]:
    """The row's flag badges, worked out once for the alert and flags columns."""
    badges: list[Badge] | None = getattr(obj, "_queue_badges", None)
    if badges is None:
        badges = flag_badges(obj.triage_flags)
        obj._queue_badges = badges  # type: ignore[attr-defined]
    return badges


FIELDSETS: list[tuple[Any, dict[str, Any]]] = [
    (
        _("Triage"),
        {
            "fields": (
                "reference",
                "status",
                "status_changed_at",
                "owner",
                "submitted_at",
                "triage_flags_display",
                "has_hard_contraindication",
            )
        },
    ),
    (_("Patient"), {"fields": ("patient_link", "patient_age", "patient_country")}),
    (
        _("Condition"),
        {
            "fields": (
                "condition",
                "condition_other",
                "duration",
                "severity",
                "diagnosis_confirmed",
                "symptoms",
                "functional_impact",
                "goals",
            )
        },
    ),
    (
        _("Medical history"),
        {
            "fields": (
                "other_conditions",
                "current_medications",
                "takes_nsaids",
                "nsaids_details",
                "takes_immunosuppressants",
                "immunosuppressants_details",
                "takes_anticoagulants",
                "anticoagulants_details",
                "allergies",
                "surgeries",
                "had_cell_therapy",
                "cell_therapy_where",
                "cell_therapy_when",
                "cell_therapy_result",
                "cell_therapy_adverse",
            )
        },
    ),
    (
        _("Screening"),
        {
            "fields": (
                "active_infection",
                "active_infection_details",
                "cancer",
                "cancer_which",
                "cancer_year",
                "immune_compromise",
                "immune_compromise_details",
                "pregnant",
                "bleeding_disorder",
                "bleeding_disorder_details",
                "smoking",
                "alcohol",
            )
        },
    ),
    (
        _("Plans"),
        {
            "fields": (
                "budget_min_usd",
                "budget_max_usd",
                "countries_display",
                "travel_window",
                "travel_companion",
                "needs_travel_help",
                "preferred_clinic",
                "elsewhere_clinic_name",
                "elsewhere_clinic_website",
                "records_later",
            )
        },
    ),
]


# The patient's clinical answers (their own words about symptoms, the whole
# medical history and screening): clinician reviewers only. Every concierge
# still sees the condition, its severity and duration, and the triage flags.
CLINICAL_FIELDS = frozenset(
    {"symptoms", "functional_impact", "goals"}
    | {
        name
        for _title, opts in FIELDSETS
        if {"current_medications", "active_infection"} & set(opts["fields"])
        for name in opts["fields"]
    }
)


class ClinicalDeltaHelper(HistoricalRecordContextHelper):
    """The history page for staff who are not clinician reviewers: a clinical answer's
    change is listed by field name, never with what the patient wrote before or after."""

    def context_for_delta_changes(self, delta: ModelDelta) -> list[dict[str, Any]]:
        rows = super().context_for_delta_changes(delta)
        for change, row in zip(delta.changes, rows, strict=True):
            if change.field in CLINICAL_FIELDS:
                row["old"] = row["new"] = _("(clinician reviewers only)")
        return rows


def fieldsets_for(*, clinician: bool) -> list[tuple[Any, dict[str, Any]]]:
    if clinician:
        return FIELDSETS
    kept = [
        (title, {**opts, "fields": tuple(f for f in opts["fields"] if f not in CLINICAL_FIELDS)})
        for title, opts in FIELDSETS
    ]
    return [(title, opts) for title, opts in kept if opts["fields"]]


@admin.register(Case)
class CaseAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
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

    # --- columns --------------------------------------------------------------
    def action_checkbox(self, obj: Case) -> str:
        # Django's own markup, written directly: Django renders a CheckboxInput widget
        # through the template engine for every row (a quarter of a row's cost).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(str(_("Select this object for an action - {}")), str(obj)),
        )

    @admin.display(description=_("alert"), ordering="-has_hard_contraindication")
    def alert_display(self, obj: Case) -> str:
        alerts = [b for b in _badges(obj) if b.level == "alert"]
        if obj.has_hard_contraindication and not alerts:
            return format_html(
                '<span class="sc-badge sc-badge-alert">{}</span>', _("Hard contraindication")
            )
        return badges_html(alerts) if alerts else ""

    @admin.display(description=_("patient"), ordering="patient__full_name")
    def patient_display(self, obj: Case) -> str:
        return obj.patient.full_name

    @admin.display(description=_("age"), ordering="-patient__date_of_birth")
    def age_display(self, obj: Case) -> str:
        age = obj.patient.age
        return "-" if age is None else str(age)

    @admin.display(description=_("condition"), ordering="condition__name")
    def condition_display(self, obj: Case) -> str:
        if obj.condition is not None:
            return format_html(
                '{}<br><span class="sc-muted">{}</span>',
                obj.condition.name,
                CATEGORY_LABELS.get(obj.condition.category, obj.condition.category),
            )
        return obj.condition_other or "-"

    @admin.display(description=_("severity"), ordering="severity")
    def severity_display(self, obj: Case) -> str:
        return "-" if obj.severity is None else f"{obj.severity}/10"

    @admin.display(description=_("flags"))
    def flags_display(self, obj: Case) -> str:
        others = [b for b in _badges(obj) if b.level != "alert"]
        return badges_html(others, limit=3) if others else "-"

    @admin.display(description=_("imaging / records"), ordering="imaging_count")
    def documents_display(self, obj: Case) -> str:
        imaging = int(getattr(obj, "imaging_count", 0))
        records = int(getattr(obj, "record_count", 0))
        if imaging + records == 0:
            return format_html('<span class="sc-badge sc-badge-caution">{}</span>', _("none"))
        return f"{imaging} / {records}"

    @admin.display(description=_("owner"), ordering="owner__email")
    def owner_display(self, obj: Case) -> str:
        if obj.owner is None:
            return format_html('<span class="sc-muted">{}</span>', _("unassigned"))
        return str(obj.owner)

    # --- read-only detail fields ---------------------------------------------------
    @admin.display(description=_("flags"))
    def triage_flags_display(self, obj: Case) -> str:
        return badges_html(flag_badges(obj.triage_flags)) or "-"

    @admin.display(description=_("patient"))
    def patient_link(self, obj: Case) -> str:
        url = reverse("admin:intake_patient_change", args=[obj.patient_id])
        return format_html(
            '<a href="{}">{}</a> &lt;{}&gt;', url, obj.patient.full_name, obj.patient.email
        )

    @admin.display(description=_("age"))
    def patient_age(self, obj: Case) -> str:
        return str(obj.patient.age)

    @admin.display(description=_("country of residence"))
    def patient_country(self, obj: Case) -> str:
        return str(countries.name(str(obj.patient.country)))

    @admin.display(description=_("countries they would travel to"))
    def countries_display(self, obj: Case) -> str:
        from .summary import countries_label

        return countries_label(obj)

    # --- actions (each calls a service) --------------------------------------------
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not is_concierge(request):
            return actions
        for status in TARGET_STATUSES:
            name = f"move_to_{status.value}"
            description = format_lazy(_("Move to “{}”"), status.label)
            actions[name] = (self._transition_action(status.value), name, description)
        return actions

    @staticmethod
    def _transition_action(to_status: str) -> Any:
        def action(modeladmin: CaseAdmin, request: HttpRequest, queryset: QuerySet[Case]) -> None:
            modeladmin.run_transition(request, list(queryset), to_status)

        action.__name__ = f"move_to_{to_status}"
        return action

    def run_transition(self, request: HttpRequest, cases: list[Case], to_status: str) -> bool:
        try:
            done = cases_transition(
                cases=cases, to_status=to_status, acting_user=_user(request), request=request
            )
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return False
        self.message_user(
            request,
            _("%(count)s case(s) moved to “%(status)s”: %(refs)s.")
            % {
                "count": len(done),
                "status": CaseStatus(to_status).label,
                "refs": ", ".join(c.reference for c in done),
            },
            messages.SUCCESS,
        )
        return True

    @admin.action(description=_("Assign to me"))
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._assign(request, list(queryset), _user(request))

    @admin.action(description=_("Unassign"))
    def unassign(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._assign(request, list(queryset), None)

    def _assign(self, request: HttpRequest, cases: list[Case], owner: User | None) -> bool:
        try:
            done = cases_assign(
                cases=cases, owner=owner, acting_user=_user(request), request=request
            )
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return False
        if owner is None:
            text = _("%(count)s case(s) unassigned.") % {"count": len(done)}
        else:
            text = _("%(count)s case(s) assigned to you.") % {"count": len(done)}
        self.message_user(request, text, messages.SUCCESS)
        return True

    @admin.action(description=_("Propose clinics (new draft proposal)"))
    def propose_clinics(self, request: HttpRequest, queryset: QuerySet[Case]) -> Any:
        cases = list(queryset)
        if len(cases) != 1:
            self.message_user(request, _("Propose clinics for one case at a time."), messages.ERROR)
            return None
        return self._propose(request, cases[0])

    def _propose(self, request: HttpRequest, case: Case) -> HttpResponse | None:
        try:
            proposal = matching_propose(case=case, acting_user=_user(request), request=request)
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return None
        count = proposal.items.count()
        if count:
            self.message_user(
                request,
                _("Draft proposal with %(count)s clinic(s). Review, reorder, then send it.")
                % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _(
                    "No vetted clinic meets every requirement. Add clinics by hand or revisit "
                    "the case."
                ),
                messages.WARNING,
            )
        return HttpResponseRedirect(reverse("admin:intake_proposal_change", args=[proposal.pk]))

    # --- extra views: document download and the change page's buttons ------------------
    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/documents/<int:document_id>/download/",
                self.document_download_view,
                name="{}_{}_document".format(*info),
            ),
            path(
                "<path:object_id>/triage/",
                self.admin_site.admin_view(self.triage_view),
                name="{}_{}_triage".format(*info),
            ),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    def document_download_view(
        self, request: HttpRequest, object_id: str, document_id: int
    ) -> HttpResponseBase:
        """Stream one document to concierge staff; 404 for everyone else (and logged)."""
        # Not wrapped in admin_view on purpose: anyone who is not concierge staff
        # gets a plain 404, never a login redirect that confirms the URL exists.
        document = staff_document_or_404(
            user=request.user,  # type: ignore[arg-type]
            case_id=object_id,
            document_id=document_id,
        )
        response = private_file_response(
            document.file,
            download_name=document.download_name,
            content_type=document.content_type,
        )
        # Logged once the file is open: a missing file is a 404, not a download.
        document_download_record(document=document, acting_user=_user(request), request=request)
        return response

    def triage_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's buttons: assign to me, a status move, propose clinics (POST)."""
        if request.method != "POST":
            return HttpResponse(status=405)
        if not is_concierge(request):
            raise Http404
        case = get_object_or_404(Case, pk=object_id) if object_id.isdigit() else None
        if case is None:
            raise Http404
        command = request.POST.get("command", "")
        change_url = reverse("admin:intake_case_change", args=[case.pk])
        if command == "assign_to_me":
            self._assign(request, [case], _user(request))
        elif command == "transition":
            to_status = request.POST.get("to_status", "")
            if to_status not in [s.value for s in TARGET_STATUSES]:
                self.message_user(request, _("Unknown status."), messages.ERROR)
            else:
                self.run_transition(request, [case], to_status)
        elif command == "clear_pixels":
            pixels_clear_command(self, request, case)
        elif command == "propose":
            response = self._propose(request, case)
            if response is not None:
                return response
        else:
            self.message_user(request, _("Unknown command."), messages.ERROR)
        return HttpResponseRedirect(change_url)

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
        # through the actions and buttons above, which call services.
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
