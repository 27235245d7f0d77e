"""The change-request queue: see the diff, approve or reject (both call services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import DomainError

from ..models import ChangeRequest, ChangeRequestStatus
from ..services import (
    change_request_approve,
    change_request_diff,
    change_request_fingerprint,
    change_request_reject,
)
from .base import ConciergeAdminMixin, acting, is_concierge, run_each, with_note


class PendingFirstFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("all", _("All")), *ChangeRequestStatus.choices]

    def choices(self, changelist: Any) -> Any:
        # The queue opens on "pending": what staff must act on.
        value = self.value() or ChangeRequestStatus.PENDING
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[ChangeRequest]
    ) -> QuerySet[ChangeRequest]:
        value = self.value() or ChangeRequestStatus.PENDING
        if value == "all":
            return queryset
        return queryset.filter(status=value)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "id",
        "clinic",
        "kind",
        "target_display",
        "fields_display",
        "submitted_by",
        "created_at",
        "status",
        "decided_by",
    )
    list_filter = (PendingFirstFilter, "kind", "target_type", "clinic__country")
    list_select_related = ("clinic", "target_type", "submitted_by", "decided_by")
    search_fields = ("clinic__name",)
    ordering = ("created_at",)
    readonly_fields = (
        "clinic",
        "kind",
        "target_display",
        "status",
        "submitted_by",
        "created_at",
        "diff_table",
        "decided_by",
        "decided_at",
        "superseded_by",
    )
    fields = (
        "clinic",
        "kind",
        "target_display",
        "status",
        "submitted_by",
        "created_at",
        "diff_table",
        "decision_note",
        "decided_by",
        "decided_at",
        "superseded_by",
    )
    actions = ("approve_selected", "reject_selected")
    change_form_template = "admin/clinics/changerequest/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not obj.is_pending:
            return self.fields
        return self.readonly_fields

    @admin.display(description=_("what"))
    def target_display(self, obj: ChangeRequest) -> str:
        model = obj.target_type.model_class()
        label = model._meta.verbose_name if model is not None else obj.target_type.model
        return f"{str(label).capitalize()} #{obj.target_id}"

    @admin.display(description=_("fields"))
    def fields_display(self, obj: ChangeRequest) -> str:
        return ", ".join(sorted(obj.changes))

    @admin.display(description=_("changes"))
    def diff_table(self, obj: ChangeRequest) -> str:
        rows = change_request_diff(obj)
        if not rows:
            return "-"
        body = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td><strong>{}</strong></td>'
            "<td>{}</td></tr>",
            (
                (
                    r.label,
                    r.proposed_from,
                    r.current,
                    r.proposed,
                    _("changed since proposed") if r.changed_since_proposed else "",
                )
                for r in rows
            ),
        )
        return format_html(
            '<table class="sc-diff"><thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col"></th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("Field"),
            _("When proposed"),
            _("Published now"),
            _("Proposed"),
            body,
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: ChangeRequest | None = None,
    ) -> Any:
        # The decision posts back a digest of the diff shown on this page: approving
        # refuses if the proposal or a published value changed since it was rendered.
        if obj is not None and obj.is_pending:
            context["reviewed_fingerprint"] = change_request_fingerprint(obj, obj.target)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: ChangeRequest, form: Any, change: bool) -> None:
        # Only the note is editable; approving or rejecting goes through the decide view.
        if obj.is_pending and "decision_note" in form.changed_data:
            ChangeRequest.objects.filter(pk=obj.pk, status=ChangeRequestStatus.PENDING).update(
                decision_note=obj.decision_note
            )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="clinics_changerequest_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The Approve / Reject buttons on the change page (POST, CSRF-checked by the admin)."""
        return require_POST(self._decide)(request, pk)

    def _decide(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not is_concierge(request):
            raise Http404
        cr = get_object_or_404(ChangeRequest, pk=pk)
        decision = request.POST.get("decision")
        note = request.POST.get("decision_note", "").strip()
        back = reverse("admin:clinics_changerequest_change", args=[cr.pk])
        try:
            if decision == "approve":
                change_request_approve(
                    change_request=cr,
                    acting_user=acting(request),
                    note=note,
                    reviewed=request.POST.get("reviewed", ""),
                    request=request,
                )
                self.message_user(
                    request,
                    _("Change request #%(id)s approved and applied.") % {"id": cr.pk},
                    messages.SUCCESS,
                )
            elif decision == "reject":
                change_request_reject(
                    change_request=cr, acting_user=acting(request), note=note, request=request
                )
                self.message_user(
                    request, _("Change request #%(id)s rejected.") % {"id": cr.pk}, messages.SUCCESS
                )
            else:
                return HttpResponseRedirect(back)
        except (DomainError, PermissionDenied) as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(back)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(back)
        return HttpResponseRedirect(reverse("admin:clinics_changerequest_changelist"))

    @admin.action(description=_("Approve and apply selected change requests"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[ChangeRequest]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda cr: change_request_approve(
                change_request=cr, acting_user=acting(request), request=request
            ),
            str(_("%(count)d change request(s) approved and applied.")),
        )

    @admin.action(description=_("Reject selected change requests (with a note)"))
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[ChangeRequest]
    ) -> HttpResponse | None:
        return with_note(
            self,
            request,
            queryset,
            action="reject_selected",
            title=str(_("Reject change requests")),
            apply=lambda cr, note: change_request_reject(
                change_request=cr, acting_user=acting(request), note=note, request=request
            ),
            done=str(_("%(count)d change request(s) rejected.")),
        )
