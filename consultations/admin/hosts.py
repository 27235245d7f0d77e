"""Hosts and their availability (the concierge's own calendars are managed here)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_access import ConciergeAdminMixin, is_concierge
from core.audit import audit_event_record

from ..models import ACTIVE_STATUSES, AvailabilityRule, ConsultationType, DateException, Host


class _Inline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    formfield_overrides = ConciergeAdminMixin.formfield_overrides

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)


class RuleInline(_Inline):
    model = AvailabilityRule
    fields = ["weekday", "start_time", "end_time", "valid_from", "valid_until"]


class ExceptionInline(_Inline):
    model = DateException
    fields = ["date", "start_time", "end_time", "reason"]


class TypeInline(_Inline):
    model = ConsultationType
    fields = [
        "name",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "min_notice_hours",
        "horizon_days",
        "min_change_notice_hours",
        "modality",
        "video_link",
        "meeting_url",
        "location",
        "requires_confirmation",
        "price_usd",
        "is_active",
    ]
    show_change_link = True


@admin.register(Host)
class HostAdmin(ConciergeAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A calendar: weekly hours in the host's zone, days off, consultation types."""

    allow_add = True
    list_display = ["name", "kind", "clinic", "time_zone", "is_active", "upcoming", "calendar"]
    list_filter = ["kind", "is_active", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["clinic"]
    search_fields = ["name", "clinic__name", "user__email"]
    raw_id_fields = ["user", "clinic", "doctor"]
    inlines = [RuleInline, ExceptionInline, TypeInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Host]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                upcoming_count=Count("bookings", filter=Q(bookings__status__in=ACTIVE_STATUSES))
            )
        )

    def save_model(self, request: HttpRequest, obj: Host, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self._audit(
            request, obj, "host.changed" if change else "host.created", list(form.changed_data)
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Hours, days off and types edited here are validated by their models (full_clean
        # in the forms) and audited like the portal's services.
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            self._audit(
                request,
                form.instance,
                f"{formset.model._meta.model_name}.changed",
                [f.instance.pk for f in formset.forms if f.has_changed()],
            )

    def _audit(self, request: HttpRequest, host: Host, action: str, what: list[Any]) -> None:
        audit_event_record(
            action=f"consultations.{action}",
            acting_user=request.user,  # type: ignore[arg-type]
            target=host,
            request=request,
            data={"what": [str(w) for w in what]},
        )

    @admin.display(description=_("active bookings"), ordering="upcoming_count")
    def upcoming(self, obj: Host) -> int:
        return int(getattr(obj, "upcoming_count", 0))

    @admin.display(description=_("calendar"))
    def calendar(self, obj: Host) -> str:
        url = reverse("admin:consultations_booking_changelist")
        return format_html(
            '<a href="{}?host__id__exact={}&amp;when=upcoming">{}</a>',
            url,
            obj.pk,
            _("Upcoming consultations"),
        )
