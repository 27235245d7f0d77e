"""Patients' rights in the admin: erasure requests to confirm, exports to watch.

Erasure is an action that calls ``erasure_carry_out``: it refuses (and marks the
request "on legal hold") while a hold applies, and otherwise erases the patient
everywhere, leaving the request as an anonymous tombstone. Nothing here edits a
row by hand.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from core.models import User

from ..models import DataExport, ErasureRequest, ErasureStatus
from ..services.erasure import erasure_cancel, erasure_carry_out, erasure_holds
from .base import ConciergeAdminMixin


class ErasureOpenFilter(admin.SimpleListFilter):
    title = _("to do")
    parameter_name = "todo"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("Open (requested or on hold)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "open":
            return queryset.filter(status__in=(ErasureStatus.REQUESTED, ErasureStatus.HELD))
        return queryset


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "status",
        "patient_link",
        "requested_at",
        "decided_at",
        "completed_at",
    )
    list_filter = (ErasureOpenFilter, "status")
    list_select_related = ("patient",)
    ordering = ("-requested_at",)
    fields = (
        "status",
        "patient_link",
        "requested_at",
        "holds_now",
        "holds",
        "decided_at",
        "decided_by",
        "completed_at",
        "counts",
        "first_case_on",
        "last_case_on",
        "reference_hashes",
    )
    readonly_fields = fields
    actions = ("carry_out", "cancel")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("patient"))
    def patient_link(self, obj: ErasureRequest) -> str:
        if obj.patient_id is None:
            return "-"
        url = reverse("admin:intake_patient_change", args=[obj.patient_id])
        return format_html('<a href="{}">#{}</a>', url, obj.patient_id)

    @admin.display(description=_("legal holds today"))
    def holds_now(self, obj: ErasureRequest) -> str:
        if obj.patient is None or not obj.is_open:
            return "-"
        holds = erasure_holds(patient=obj.patient)
        if not holds:
            return str(_("None: the erasure can be carried out."))
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((h.message,) for h in holds))
        )

    @admin.action(description=_("Erase these patients' data (refused while a legal hold applies)"))
    def carry_out(self, request: HttpRequest, queryset: QuerySet[ErasureRequest]) -> None:
        user: User = request.user  # type: ignore[assignment]
        erased = held = 0
        for erasure in queryset.filter(status__in=(ErasureStatus.REQUESTED, ErasureStatus.HELD)):
            try:
                result = erasure_carry_out(erasure=erasure, acting_user=user, request=request)
            except DomainError as exc:
                self.message_user(request, f"{erasure}: {exc.message}", messages.ERROR)
                continue
            if result.status == ErasureStatus.COMPLETED:
                erased += 1
            else:
                held += 1
        if erased:
            self.message_user(
                request, _("%(count)s patient(s) erased.") % {"count": erased}, messages.SUCCESS
            )
        if held:
            self.message_user(
                request,
                _("%(count)s request(s) refused: a legal hold applies (see each request).")
                % {"count": held},
                messages.WARNING,
            )

    @admin.action(description=_("Cancel these requests (the patient changed their mind)"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[ErasureRequest]) -> None:
        user: User = request.user  # type: ignore[assignment]
        done = 0
        for erasure in queryset.filter(status__in=(ErasureStatus.REQUESTED, ErasureStatus.HELD)):
            erasure_cancel(erasure=erasure, acting_user=user, request=request)
            done += 1
        self.message_user(
            request, _("%(count)s request(s) cancelled.") % {"count": done}, messages.SUCCESS
        )


@admin.register(DataExport)
class DataExportAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    """Read-only: staff see that exports are built and fetched, never their contents."""

    list_display = (
        "__str__",
        "case",
        "status",
        "requested_at",
        "ready_at",
        "expires_at",
        "size",
        "download_count",
        "failure",
    )
    list_filter = ("status",)
    list_select_related = ("case",)
    search_fields = ("case__reference",)
    ordering = ("-requested_at",)
    fields = (
        "case",
        "status",
        "requested_at",
        "started_at",
        "ready_at",
        "expires_at",
        "size",
        "file_count",
        "record_count",
        "downloaded_at",
        "download_count",
        "failure",
    )
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
