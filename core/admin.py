from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .admin_access import ConciergeAdminMixin, is_concierge
from .admin_audit import TRAIL_PARAMETER
from .audit import audit_event_record, trail_filter
from .exceptions import DomainError
from .models import AuditEvent, Heartbeat, Notification, NotificationStatus, User
from .notifications.services import notification_cancel, notification_resend


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "time_zone", "language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")

    # Administrators grant roles (groups, each with the least rights it needs);
    # only a superuser makes a superuser, grants single permissions or edits one.
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Who granted which role, in the same transaction as the grant.
        user = form.instance
        before = set(user.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(user.groups.values_list("name", flat=True))
        if before != after:
            audit_event_record(
                action="core.user_roles_changed",
                acting_user=request.user,  # type: ignore[arg-type]
                target=user,
                request=request,
                data={"added": sorted(after - before), "removed": sorted(before - after)},
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TrailFilter(admin.SimpleListFilter):
    """``?trail=intake.case:42``: the rows about a record and everything filed under it.

    Linked from the change page of every patient-data record
    (``core.admin_audit``); a record is named by label and id only, so the filter
    never reads (or shows) the record itself.
    """

    title = _("trail of")
    parameter_name = TRAIL_PARAMETER

    def _record(self) -> models.Model | None:
        label, _sep, pk = (self.value() or "").partition(":")
        try:
            model = apps.get_model(label)
            return model(pk=model._meta.pk.to_python(pk))  # type: ignore[union-attr]
        except (LookupError, ValueError, ValidationError):
            return None

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        record = self._record()
        if record is None:
            return []
        return [(str(self.value()), f"{record._meta.verbose_name} #{record.pk}")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        record = self._record()
        return queryset.filter(trail_filter(record)) if record is not None else queryset.none()


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The trail, read-only: the application's database role cannot change it either."""

    list_display = (
        "created_at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "subject_display",
        "ip_address",
    )
    list_filter = (TrailFilter, "action", "target_type")
    search_fields = ("actor_label", "action", "target_id")
    list_select_related = ("target_type", "subject_type")
    date_hierarchy = "created_at"
    show_full_result_count = False

    # Concierge staff read the trail (ids and field names, never a patient's values).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_concierge(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request) or super().has_view_permission(request, obj)

    @admin.display(description=_("filed under"), ordering="subject_id")
    def subject_display(self, obj: AuditEvent) -> str:
        if obj.subject_type is None:
            return "-"
        return f"{obj.subject_type.app_label}.{obj.subject_type.model} #{obj.subject_id}"


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "seen_at")


class DueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("Due now or overdue")), ("later", _("Later"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(status=NotificationStatus.QUEUED, due_at__lte=now)
        if self.value() == "later":
            return queryset.filter(status=NotificationStatus.QUEUED, due_at__gt=now)
        return queryset


class FailedTodayFilter(admin.SimpleListFilter):
    title = _("failed today")
    parameter_name = "failed_today"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Failed in the last 24 hours"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(
                status=NotificationStatus.FAILED,
                status_changed_at__gte=timezone.now() - timedelta(hours=24),
            )
        return queryset


@admin.register(Notification)
class NotificationAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    """The outbox, read-only but for two actions that call services. No bodies are
    stored, so none can be shown: a message is rendered only when it is sent."""

    list_display = (
        "id",
        "kind",
        "status_badge",
        "recipient",
        "due_at",
        "attempts",
        "last_error",
        "sent_at",
    )
    list_filter = ("status", "kind", DueFilter, FailedTodayFilter)
    search_fields = ("=id", "kind", "message_id", "dedupe_key")
    list_select_related = ("recipient_user", "about_type")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("resend_selected", "cancel_selected")
    fields = (
        "kind",
        "status",
        "recipient_user",
        "recipient_address",
        "language",
        "time_zone",
        "about_type",
        "about_id",
        "dedupe_key",
        "priority",
        "due_at",
        "attempts",
        "lease_expires_at",
        "last_error",
        "message_id",
        "created_at",
        "status_changed_at",
        "sent_at",
    )
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the actions are the only writes, through services

    class Media:
        css = {"all": ("css/core-admin.css",)}

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Notification) -> str:
        return format_html(
            '<span class="core-status core-status-{}">{}</span>',
            obj.status,
            obj.get_status_display(),
        )

    @admin.display(description=_("recipient"))
    def recipient(self, obj: Notification) -> str:
        if obj.recipient_user is not None:
            return str(obj.recipient_user.email)
        if obj.recipient_address:
            return obj.recipient_address
        return str(_("found at send time (%(what)s #%(id)s)")) % {
            "what": obj.about_type.model if obj.about_type else "-",
            "id": obj.about_id,
        }

    def _apply(self, request: HttpRequest, queryset: QuerySet[Any], service: Any) -> None:
        done, refused = 0, 0
        for notification in queryset:
            try:
                service(notification=notification, acting_user=request.user)
                done += 1
            except DomainError:
                refused += 1
        if done:
            self.message_user(request, _("%(n)d message(s) updated.") % {"n": done})
        if refused:
            self.message_user(
                request,
                _("%(n)d message(s) could not be changed from their current state.")
                % {"n": refused},
                level=messages.WARNING,
            )

    @admin.action(description=_("Send again (failed or cancelled)"))
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._apply(request, queryset, notification_resend)

    @admin.action(description=_("Cancel"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._apply(request, queryset, notification_cancel)
