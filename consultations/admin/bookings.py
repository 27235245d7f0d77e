"""Consultations in the admin: calendars as lists, one consultation page with its actions.

The list filters by when (today, this week, upcoming, past), by host, by clinic
and by status, in a constant number of queries. Actions call the services, so
the admin writes the same audit rows and e-mails as the portal and the patient.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from core.admin_access import ConciergeAdminMixin, is_concierge
from core.exceptions import DomainError
from core.models import User
from intake.admin.summary import badges_html, flag_badges
from intake.models import Case

from ..forms import local_instant, style
from ..models import Booking, BookingEvent, BookingStatus, ConsultationType
from ..selectors.portal import window
from ..services import (
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_create,
    booking_no_show,
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


EVENT_FIELDS: tuple[str, ...] = (
    "at",
    "action",
    "actor_label",
    "previous_start",
    "new_start",
    "reason",
    "overrode_notice",
)


class WhenFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("today", _("Today")),
            ("week", _("This week")),
            ("upcoming", _("Upcoming")),
            ("past", _("Past")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value not in ("today", "week", "upcoming", "past"):
            return queryset
        start, end = window(value, timezone.get_current_timezone())
        if start is not None:
            queryset = queryset.filter(start_at__gte=start)
        if end is not None:
            queryset = queryset.filter(start_at__lt=end)
        return queryset


class EventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = BookingEvent
    extra = 0
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StaffBookingForm(forms.Form):
    """Staff book for a patient: the case, the type, and a time on the host's clock."""

    case_reference = forms.CharField(label=_("Case reference"), max_length=12)
    consultation_type = forms.ModelChoiceField(
        label=_("Consultation type"),
        queryset=ConsultationType.objects.bookable().select_related("host"),
    )
    day = forms.DateField(
        label=_("Date (host's local)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    at = forms.TimeField(
        label=_("Time (host's local)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    question = forms.CharField(
        label=_("Note for the host"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_case_reference(self) -> Case:
        case = (
            Case.objects.filter(reference=self.cleaned_data["case_reference"].strip().upper())
            .select_related("patient")
            .first()
        )
        if case is None:
            raise forms.ValidationError(_("No case has this reference."))
        return case


@admin.register(Booking)
class BookingAdmin(ConciergeAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    allow_add = True
    date_hierarchy = "start_at"
    list_display = [
        "start_at",
        "host_clock",
        "host",
        "consultation_type",
        "case_link",
        "status_badge",
    ]
    list_filter = [
        WhenFilter,
        "status",
        ("host", admin.RelatedOnlyFieldListFilter),
        ("host__clinic", admin.RelatedOnlyFieldListFilter),
        "modality",
    ]
    list_select_related = ["host__clinic", "consultation_type", "case"]
    search_fields = ["case__reference", "host__name"]
    ordering = ["start_at"]
    inlines = [EventInline]
    actions = ["confirm_selected", "complete_selected", "no_show_selected"]
    readonly_fields = [
        "uid",
        "host",
        "consultation_type",
        "case_summary",
        "status",
        "start_at",
        "end_at",
        "blocked_start",
        "blocked_end",
        "patient_time_zone",
        "question",
        "document",
        "modality",
        "location",
        "meeting_url",
        "sequence",
        "cancel_reason",
        "booked_by",
        "action_buttons",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "action_buttons",
                    "status",
                    "host",
                    "consultation_type",
                    "start_at",
                    "end_at",
                    "patient_time_zone",
                ]
            },
        ),
        (_("Case"), {"fields": ["case_summary", "question", "document"]}),
        (_("Where"), {"fields": ["modality", "location", "meeting_url"]}),
        (
            _("System"),
            {
                "fields": [
                    "uid",
                    "sequence",
                    "blocked_start",
                    "blocked_end",
                    "cancel_reason",
                    "booked_by",
                ],
                "classes": ["collapse"],
            },
        ),
    ]

    @admin.display(description=_("host's time"))
    def host_clock(self, obj: Booking) -> str:
        local = obj.start_at.astimezone(obj.host.zone)
        return f"{local:%a %d %b %H:%M} ({obj.host.time_zone})"

    @admin.display(description=_("case"), ordering="case__reference")
    def case_link(self, obj: Booking) -> SafeString:
        url = reverse("admin:intake_case_change", args=[obj.case_id])
        return format_html('<a href="{}">{}</a>', url, obj.case.reference)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Booking) -> str:
        return str(obj.get_status_display())

    @admin.display(description=_("case summary"))
    def case_summary(self, obj: Booking) -> SafeString:
        case = obj.case
        return format_html(
            '<a href="{}">{}</a> - {} ({}) - {}<br>{}<br>{}',
            reverse("admin:intake_case_change", args=[case.pk]),
            case.reference,
            case.patient.full_name,
            case.patient.email,
            case.get_status_display(),
            case.condition_label,
            badges_html(flag_badges(case.triage_flags)),
        )

    @admin.display(description=_("actions"))
    def action_buttons(self, obj: Booking) -> SafeString:
        buttons = []
        for action, label, allowed in (
            ("confirm", _("Confirm"), obj.status == BookingStatus.REQUESTED),
            ("complete", _("It took place"), obj.status == BookingStatus.CONFIRMED),
            ("no_show", _("No-show"), obj.status == BookingStatus.CONFIRMED),
            ("cancel", _("Cancel"), obj.is_active),
        ):
            if allowed:
                url = reverse("admin:consultations_booking_act", args=[obj.pk, action])
                buttons.append(format_html('<a class="button" href="{}">{}</a>', url, label))
        return (
            format_html(" ".join(["{}"] * len(buttons)), *buttons)
            if buttons
            else format_html("{}", "-")
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Booking]:
        return (
            super()
            .get_queryset(request)
            .select_related("host__clinic", "consultation_type", "case__patient", "case__condition")
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The page is read-only: every change goes through an action that calls a service.
        return is_concierge(request) and request.method != "POST"

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:pk>/act/<str:action>/",
                self.admin_site.admin_view(self.act_view),
                name="consultations_booking_act",
            ),
        ]
        return extra + super().get_urls()

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Staff book for a patient (same service and rules, notice may be overridden)."""
        if not is_concierge(request):
            raise PermissionDenied
        form = StaffBookingForm(request.POST or None)
        style(form)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            ctype = data["consultation_type"]
            try:
                booking = booking_create(
                    case=data["case_reference"],
                    consultation_type=ctype,
                    start=local_instant(data["day"], data["at"], ctype.host.zone),
                    acting_user=_user(request),
                    question=data["question"],
                    request=request,
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                self.message_user(request, _("Booked."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:consultations_booking_change", args=[booking.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Book for a patient"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/consultations/book_for_patient.html", context)

    def act_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        """One action on one consultation; cancel asks for a reason first."""
        if not is_concierge(request):
            raise PermissionDenied
        booking = get_object_or_404(Booking.objects.select_related("host", "case"), pk=pk)
        back = reverse("admin:consultations_booking_change", args=[pk])
        if action == "cancel":
            form = forms.Form(request.POST or None)
            form.fields["reason"] = forms.CharField(
                label=_("Reason (sent to the patient)"), max_length=500
            )
            if request.method == "POST" and form.is_valid():
                self._run(
                    request,
                    lambda b: booking_cancel(
                        booking=b,
                        reason=form.cleaned_data["reason"],
                        acting_user=_user(request),
                        request=request,
                    ),
                    booking,
                    _("Cancelled."),
                )
                return HttpResponseRedirect(back)
            context = {
                **self.admin_site.each_context(request),
                "title": _("Cancel"),
                "form": form,
                "booking": booking,
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "admin/consultations/cancel.html", context)
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "title": action,
                "booking": booking,
                "action": action,
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "admin/consultations/confirm_action.html", context)
        services = {
            "confirm": booking_confirm,
            "complete": booking_complete,
            "no_show": booking_no_show,
        }
        if action not in services:
            raise PermissionDenied
        call = services[action]
        self._run(
            request,
            lambda b: call(booking=b, acting_user=_user(request), request=request),
            booking,
            _("Done."),
        )
        return HttpResponseRedirect(back)

    def _run(self, request: HttpRequest, call: Any, booking: Booking, done: Any) -> None:
        try:
            call(booking)
        except (DomainError, PermissionDenied) as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)

    def _each(self, request: HttpRequest, queryset: QuerySet[Booking], call: Any) -> None:
        ok = 0
        for booking in queryset:
            try:
                call(booking=booking, acting_user=_user(request), request=request)
            except (DomainError, PermissionDenied) as exc:
                self.message_user(request, f"{booking.case.reference}: {exc}", messages.ERROR)
            else:
                ok += 1
        if ok:
            self.message_user(request, _("%(count)s updated.") % {"count": ok}, messages.SUCCESS)

    @admin.action(description=_("Confirm the selected consultations"))
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self._each(request, queryset, booking_confirm)

    @admin.action(description=_("Mark as held"))
    def complete_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self._each(request, queryset, booking_complete)

    @admin.action(description=_("Mark as no-show"))
    def no_show_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self._each(request, queryset, booking_no_show)
