"""Proposals in the admin: staff curate a draft (remove, add, reorder) and send it.

The inline's edits are not saved row by row: ``save_related`` hands the whole
curation to ``proposal_curate`` (one service call, one audit row), and the
send button calls ``proposal_send``. Sent and superseded proposals are read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from clinics.models import Clinic, ClinicStatus
from core.exceptions import DomainError
from core.models import User

from ..matching import reason_display
from ..models import Case, Proposal, ProposalStatus, ProposedClinic
from ..services.proposals import Curation, proposal_curate, proposal_send
from .base import ConciergeAdminMixin, is_concierge
from .summary import case_summary


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_draft(obj: Any) -> bool:
    return isinstance(obj, Proposal) and obj.status == ProposalStatus.DRAFT


class ProposedClinicForm(forms.ModelForm):
    """Clinic is chosen only on a new row, and only among vetted clinics."""

    class Meta:
        model = ProposedClinic
        fields = ["position", "clinic", "staff_note"]
        widgets = {"staff_note": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clinic_field = self.fields["clinic"]
        clinic_field.queryset = Clinic.objects.filter(  # type: ignore[attr-defined]
            status=ClinicStatus.VETTED
        ).order_by("name")
        if self.instance.pk:
            clinic_field.disabled = True


class ProposedClinicFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen: set[int] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            clinic = form.cleaned_data.get("clinic")
            if clinic is None:
                continue
            if clinic.pk in seen:
                raise forms.ValidationError(_("Each clinic can be proposed only once."))
            seen.add(clinic.pk)


class ProposedClinicInline(admin.TabularInline):
    model = ProposedClinic
    form = ProposedClinicForm
    formset = ProposedClinicFormSet
    extra = 1
    fields = ("position", "clinic", "offering_display", "score", "reasons_display", "staff_note")
    readonly_fields = ("offering_display", "score", "reasons_display")
    verbose_name = _("proposed clinic")
    verbose_name_plural = _("Proposed clinics (remove, add, reorder by position)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProposedClinic]:
        return super().get_queryset(request).select_related("clinic", "offering")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "clinic" and field is not None:
            # No "add/change clinic" pop-ups here: a clinic is created and vetted
            # in the clinics admin, never on the way to a patient.
            field.widget = getattr(field.widget, "widget", field.widget)
        return field

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return 1 if _is_draft(obj) else 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request) and _is_draft(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request) and _is_draft(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request) and _is_draft(obj)

    @admin.display(description=_("offering"))
    def offering_display(self, obj: ProposedClinic) -> str:
        if obj.offering is None:
            return "-"
        return f"{obj.offering.title} ({obj.offering.get_cell_type_display()})"

    @admin.display(description=_("why"))
    def reasons_display(self, obj: ProposedClinic) -> str:
        if not obj.reasons:
            return "-"
        return format_html(
            '<ul class="sc-proposal-reasons">{}</ul>',
            format_html_join(
                "",
                '<li class="{}">{}</li>',
                (
                    ("sc-reason-ok" if r.get("ok") else "sc-reason-no", reason_display(r))
                    for r in obj.reasons
                    if isinstance(r, dict)
                ),
            ),
        )


@admin.register(Proposal)
class ProposalAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    change_form_template = "intake/admin/proposal_change_form.html"
    list_display = (
        "__str__",
        "case_link",
        "status",
        "clinic_count",
        "created_by",
        "created_at",
        "sent_at",
    )
    list_filter = ("status",)
    list_select_related = ("case", "created_by")
    search_fields = ("case__reference",)
    search_help_text = _("Search by case reference.")
    ordering = ("-created_at",)
    fields = (
        "case_link",
        "status",
        "created_by",
        "created_at",
        "sent_by",
        "sent_at",
        "note_to_patient",
    )
    inlines = (ProposedClinicInline,)
    actions = ("send_to_patient",)

    class Media:
        css = {"all": ("css/intake-admin.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        return super().get_queryset(request).annotate(n_items=Count("items"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = ["case_link", "status", "created_by", "created_at", "sent_by", "sent_at"]
        if not _is_draft(obj):
            readonly.append("note_to_patient")
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not _is_draft(obj):
            return False
        return is_concierge(request)

    @admin.display(description=_("case"), ordering="case__reference")
    def case_link(self, obj: Proposal) -> str:
        url = reverse("admin:intake_case_change", args=[obj.case_id])
        return format_html('<a href="{}">{}</a>', url, obj.case.reference)

    @admin.display(description=_("clinics"), ordering="n_items")
    def clinic_count(self, obj: Proposal) -> int:
        return int(getattr(obj, "n_items", 0))

    # --- saving: one service call for the whole curation -------------------------
    def save_model(self, request: HttpRequest, obj: Proposal, form: Any, change: bool) -> None:
        # Saved in save_related, together with the clinics, by proposal_curate.
        # Kept on the request: a ModelAdmin instance is shared by every thread.
        request._proposal_note_to_patient = form.cleaned_data.get(  # type: ignore[attr-defined]
            "note_to_patient"
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        curation = Curation(note_to_patient=getattr(request, "_proposal_note_to_patient", None))
        for formset in formsets:
            if not isinstance(formset, ProposedClinicFormSet):
                continue
            for inline_form in formset.forms:
                data = getattr(inline_form, "cleaned_data", None) or {}
                instance = inline_form.instance
                if instance.pk:
                    if data.get("DELETE"):
                        curation.remove.append(instance.pk)
                        continue
                    if "position" in inline_form.changed_data:
                        curation.positions[instance.pk] = data["position"]
                    if "staff_note" in inline_form.changed_data:
                        curation.notes[instance.pk] = data.get("staff_note", "")
                elif data.get("clinic") is not None and not data.get("DELETE"):
                    curation.add.append(data["clinic"])
                    if data.get("position"):
                        curation.add_positions[data["clinic"].pk] = data["position"]
            # The admin's change message reads these; the audit row has the detail.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        try:
            proposal_curate(
                proposal=form.instance,
                curation=curation,
                acting_user=_user(request),
                request=request,
            )
        except DomainError as exc:
            # The admin's transaction is rolled back; the message says why.
            transaction.set_rollback(True)
            self.message_user(request, str(exc.message), messages.ERROR)

    # --- sending ---------------------------------------------------------------------------
    @admin.action(description=_("Send to the patient"))
    def send_to_patient(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        proposals = list(queryset)
        if len(proposals) != 1:
            self.message_user(request, _("Send one proposal at a time."), messages.ERROR)
            return
        self._send(request, proposals[0])

    def _send(self, request: HttpRequest, proposal: Proposal) -> bool:
        try:
            proposal_send(proposal=proposal, acting_user=_user(request), request=request)
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return False
        self.message_user(
            request,
            _("Proposal sent. The patient gets an email with a link to their case page."),
            messages.SUCCESS,
        )
        return True

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="{}_{}_send".format(*info),
            ),
            *super().get_urls(),
        ]

    def send_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        if not is_concierge(request) or not object_id.isdigit():
            raise Http404
        proposal = get_object_or_404(Proposal, pk=object_id)
        self._send(request, proposal)
        return HttpResponseRedirect(reverse("admin:intake_proposal_change", args=[proposal.pk]))

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Proposal | None = None,
    ) -> TemplateResponse:
        if obj is not None:
            case = Case.objects.select_related("patient", "condition", "owner").get(pk=obj.case_id)
            context.update(
                {
                    "summary": case_summary(case, list(case.documents.all())),
                    "is_draft": _is_draft(obj),
                    "send_url": reverse("admin:intake_proposal_send", args=[obj.pk]),
                    "case_url": reverse("admin:intake_case_change", args=[case.pk]),
                }
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
