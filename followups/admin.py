"""The follow-ups back office: adverse events at the top, tasks by due time, check-ins.

Every write goes through a service (audited); grading is a form on the event's
page, and an event cannot close until it is graded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from core.admin_access import ConciergeAdminMixin
from core.exceptions import DomainError
from core.models import User

from . import services
from .escalation import REASON_LABELS
from .instruments import TimePoint
from .models import (
    AdverseEvent,
    CheckIn,
    CheckInStatus,
    EventStatus,
    FollowUpSchedule,
    ScheduleTemplate,
    StaffTask,
    TaskStatus,
)
from .outcomes_report import outcome_rows


class _Css:
    css = {"all": ("css/core-admin.css", "css/intake-admin.css")}


def _user(request: HttpRequest) -> User:
    # The admin lets in signed-in concierge staff only (ConciergeAdminMixin).
    return cast(User, request.user)


def _run(modeladmin: admin.ModelAdmin, request: HttpRequest, rows: Any, call: Any) -> None:
    done = 0
    for row in rows:
        try:
            call(row)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"#{row.pk}: {exc}", level=messages.WARNING)
    if done:
        modeladmin.message_user(request, _("%(n)d updated.") % {"n": done})


def _reasons(codes: list[str]) -> str:
    return format_html_join(
        " ",
        '<span class="sc-badge sc-badge-alert">{}</span>',
        ((REASON_LABELS.get(c, c),) for c in codes),
    )


GRADING_FIELDS = ("ctcae_grade", "relatedness", "action_taken", "outcome")


class GradingForm(forms.ModelForm):
    class Meta:
        model = AdverseEvent
        fields = GRADING_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        missing = [f for f in GRADING_FIELDS if f in self.fields and data.get(f) in (None, "")]
        for name in missing:
            self.add_error(name, _("Required to grade the event."))
        return data


@admin.register(AdverseEvent)
class AdverseEventAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    form = GradingForm
    list_display = (
        "id",
        "waiting",
        "case_reference",
        "clinic",
        "time_point",
        "what",
        "status",
        "ctcae_grade",
        "relatedness",
        "clinic_rating",
    )
    list_filter = ("status", "clinic", "ctcae_grade", "relatedness")
    list_select_related = ("clinic", "check_in__schedule__case")
    search_fields = ("=check_in__schedule__case__reference",)
    ordering = ("status", "reported_at")  # "open" sorts first; oldest first within
    actions = ("close_selected",)
    readonly_fields = (
        "case_reference",
        "clinic",
        "time_point",
        "what",
        "reported_at",
        "status",
        "graded_by",
        "graded_at",
        "closed_at",
        "clinic_relatedness",
        "clinic_rating_due_at",
        "clinic_rated_at",
    )
    fieldsets = (
        (
            _("What was reported"),
            {"fields": ("case_reference", "clinic", "time_point", "what", "reported_at", "status")},
        ),
        (
            _("Staff grading (required before closing)"),
            {
                "fields": (
                    "ctcae_grade",
                    "relatedness",
                    "action_taken",
                    "outcome",
                    "graded_by",
                    "graded_at",
                    "closed_at",
                )
            },
        ),
        (
            _("The clinic's view"),
            {"fields": ("clinic_relatedness", "clinic_rating_due_at", "clinic_rated_at")},
        ),
    )
    Media = _Css

    @admin.display(description=_("waiting"), ordering="reported_at")
    def waiting(self, obj: AdverseEvent) -> str:
        if obj.status != EventStatus.OPEN:
            return "-"
        return format_html(
            '<span class="sc-badge sc-badge-alert">{}</span>', timesince(obj.reported_at)
        )

    @admin.display(description=_("case"))
    def case_reference(self, obj: AdverseEvent) -> str:
        return obj.check_in.schedule.case.reference

    @admin.display(description=_("check-in"))
    def time_point(self, obj: AdverseEvent) -> str:
        return str(obj.check_in.get_time_point_display())

    @admin.display(description=_("reported"))
    def what(self, obj: AdverseEvent) -> str:
        return _reasons(obj.reasons)

    @admin.display(description=_("clinic's rating"))
    def clinic_rating(self, obj: AdverseEvent) -> str:
        if obj.clinic_rated_at:
            return str(obj.get_clinic_relatedness_display())
        if obj.clinic_rating_due_at < timezone.now():
            return format_html('<span class="sc-badge sc-badge-caution">{}</span>', _("overdue"))
        return str(_("awaited"))

    def save_model(self, request: HttpRequest, obj: AdverseEvent, form: Any, change: bool) -> None:
        data = form.cleaned_data
        services.adverse_event_grade(
            event=obj,
            ctcae_grade=data["ctcae_grade"],
            relatedness=data["relatedness"],
            action_taken=data["action_taken"],
            outcome=data["outcome"],
            acting_user=_user(request),
            request=request,
        )

    @admin.action(description=_("Close (graded events only)"))
    def close_selected(self, request: HttpRequest, queryset: QuerySet[AdverseEvent]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda e: services.adverse_event_close(
                event=e, acting_user=_user(request), request=request
            ),
        )


class TaskDueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("Overdue")), ("today", _("Due in the next 24 hours"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(status=TaskStatus.OPEN, due_at__lte=now)
        if self.value() == "today":
            return queryset.filter(
                status=TaskStatus.OPEN, due_at__gt=now, due_at__lte=now + dt.timedelta(hours=24)
            )
        return queryset


@admin.register(StaffTask)
class StaffTaskAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "case_reference", "why", "due_at", "status", "done_by")
    list_filter = ("status", "kind", TaskDueFilter)
    list_select_related = ("check_in__schedule__case", "done_by")
    ordering = ("status", "due_at")
    actions = ("done_selected",)
    fields = ("kind", "case_reference", "why", "due_at", "status", "note", "done_by", "done_at")
    readonly_fields = ("kind", "case_reference", "why", "due_at", "status", "done_by", "done_at")
    Media = _Css

    @admin.display(description=_("case"))
    def case_reference(self, obj: StaffTask) -> str:
        return obj.check_in.schedule.case.reference

    @admin.display(description=_("why"))
    def why(self, obj: StaffTask) -> str:
        return _reasons(obj.reasons)

    def save_model(self, request: HttpRequest, obj: StaffTask, form: Any, change: bool) -> None:
        if obj.status == TaskStatus.OPEN:
            services.staff_task_done(
                task=obj,
                note=form.cleaned_data.get("note", ""),
                acting_user=_user(request),
                request=request,
            )

    @admin.action(description=_("Mark done (call made, answers reviewed)"))
    def done_selected(self, request: HttpRequest, queryset: QuerySet[StaffTask]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda t: services.staff_task_done(
                task=t, note="", acting_user=_user(request), request=request
            ),
        )


class CheckInDueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("today", _("Due today")), ("overdue", _("Overdue (invited, no answer)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.localtime()
        if self.value() == "today":
            start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            return queryset.filter(due_at__gte=start, due_at__lt=start + dt.timedelta(days=1))
        if self.value() == "overdue":
            return queryset.filter(
                status=CheckInStatus.INVITED, due_at__lte=now - dt.timedelta(days=3)
            )
        return queryset


@admin.register(CheckIn)
class CheckInAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "case_reference",
        "clinic",
        "time_point",
        "side_effects_only",
        "due_at",
        "status",
        "answered_at",
    )
    list_filter = (CheckInDueFilter, "status", "time_point", "schedule__clinic")
    list_select_related = ("schedule__case", "schedule__clinic")
    search_fields = ("=schedule__case__reference",)
    date_hierarchy = "due_at"
    ordering = ("due_at",)
    actions = ("resend_selected", "missed_selected")
    readonly_fields = (
        "schedule",
        "time_point",
        "side_effects_only",
        "status",
        "due_at",
        "status_changed_at",
        "invited_at",
        "started_at",
        "answered_at",
    )
    fields = readonly_fields

    @admin.display(description=_("case"))
    def case_reference(self, obj: CheckIn) -> str:
        return obj.schedule.case.reference

    @admin.display(description=_("clinic"))
    def clinic(self, obj: CheckIn) -> str:
        return str(obj.schedule.clinic)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send the invitation again"))
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[CheckIn]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda c: services.checkin_resend(
                check_in=c, acting_user=_user(request), request=request
            ),
        )

    @admin.action(description=_("Mark missed"))
    def missed_selected(self, request: HttpRequest, queryset: QuerySet[CheckIn]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda c: services.checkin_mark_missed(
                check_in=c, acting_user=_user(request), request=request
            ),
        )


@admin.register(FollowUpSchedule)
class FollowUpScheduleAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    list_display = ("id", "case", "clinic", "treatment", "status", "created_at")
    list_filter = ("status", "clinic")
    # A treatment reads "<kind> <date> (<case>)": its case too, or a query per row.
    list_select_related = ("case", "clinic", "treatment__case")
    readonly_fields = ("case", "clinic", "treatment", "status", "status_changed_at", "created_at")
    fields = readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "outcomes/",
                self.admin_site.admin_view(self.outcomes_view),
                name="followups_outcomes",
            ),
            *super().get_urls(),
        ]

    def outcomes_view(self, request: HttpRequest) -> HttpResponse:
        """Outcomes for every clinic, condition, offering and time point, for any n."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Outcomes per clinic"),
            "rows": outcome_rows(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/followups/outcomes.html", context)


class ScheduleTemplateForm(forms.ModelForm):
    time_points = forms.MultipleChoiceField(
        label=_("time points"),
        choices=TimePoint.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ScheduleTemplate
        fields = ("category", "time_points")


@admin.register(ScheduleTemplate)
class ScheduleTemplateAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    form = ScheduleTemplateForm
    list_display = ("category", "time_points")
    allow_add = True
    allow_delete = True
