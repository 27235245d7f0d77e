"""Treatment plans and records in the admin (the concierge records them too)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin_access import ConciergeAdminMixin, is_concierge
from core.exceptions import DomainError
from core.models import User

from ..models import TreatmentPhase, TreatmentPlan, TreatmentRecord
from ..services import treatment_record_complete, treatment_record_save

PHASE_FIELDS: tuple[str, ...] = (
    "kind",
    "planned_date",
    "booking",
)


class PhaseInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TreatmentPhase
    extra = 0
    fields = PHASE_FIELDS
    readonly_fields = PHASE_FIELDS

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(ConciergeAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "case",
        "clinic",
        "offering",
        "arrival_date",
        "departure_date",
        "status",
        "two_phase",
    ]
    list_filter = ["status", ("clinic", admin.RelatedOnlyFieldListFilter)]
    # An offering reads "<title> - <clinic>": its clinic too, or a query per row.
    list_select_related = ["case", "clinic", "offering__clinic"]
    search_fields = ["case__reference", "clinic__name"]
    readonly_fields = ["case", "clinic", "offering", "status", "created_by"]
    inlines = [PhaseInline]

    @admin.display(description=_("two phases"), boolean=True)
    def two_phase(self, obj: TreatmentPlan) -> bool:
        return obj.is_two_phase


@admin.register(TreatmentRecord)
class TreatmentRecordAdmin(ConciergeAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    allow_add = True
    list_display = [
        "treated_on",
        "case",
        "clinic",
        "kind",
        "offering",
        "dose",
        "cell_lot",
        "status",
    ]
    list_filter = ["status", "kind", ("clinic", admin.RelatedOnlyFieldListFilter)]
    # An offering reads "<title> - <clinic>": its clinic too, or a query per row.
    list_select_related = ["case", "clinic", "offering__clinic"]
    search_fields = ["case__reference", "cell_lot", "clinic__name"]
    raw_id_fields = ["case", "clinic", "offering", "plan", "treating_doctor"]
    readonly_fields = ["status", "completed_at", "recorded_by"]
    actions = ["complete_selected"]

    @admin.display(description=_("cells"))
    def dose(self, obj: TreatmentRecord) -> str:
        parts = []
        if obj.cell_count_millions is not None:
            parts.append(f"{obj.cell_count_millions} M")
        if obj.volume_ml is not None:
            parts.append(f"{obj.volume_ml} mL")
        flag = f" ({_('volume only')})" if obj.dose_only_in_ml else ""
        return " / ".join(parts) + flag

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        from ..models import RecordStatus

        return is_concierge(request) and (obj is None or obj.status == RecordStatus.DRAFT)

    def save_model(
        self, request: HttpRequest, obj: TreatmentRecord, form: Any, change: bool
    ) -> None:
        # Through the service: the same checks (shared case, dose, clinic's own doctor) and audit.
        treatment_record_save(
            record=obj,
            acting_user=request.user,  # type: ignore[arg-type]
            request=request,
        )

    @admin.action(description=_("Complete the selected records"))
    def complete_selected(self, request: HttpRequest, queryset: QuerySet[TreatmentRecord]) -> None:
        user: User = request.user  # type: ignore[assignment]
        for record in queryset:
            try:
                treatment_record_complete(record=record, acting_user=user, request=request)
            except (DomainError, PermissionDenied) as exc:
                self.message_user(request, f"{record}: {exc}", messages.ERROR)
            except ValidationError as exc:
                self.message_user(request, f"{record}: {'; '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(
                    request, _("%(record)s completed.") % {"record": record}, messages.SUCCESS
                )
