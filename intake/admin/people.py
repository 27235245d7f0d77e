"""Patients, consent to share, and magic links: read-only records for staff.

Patients have no login and change their own answers through their case page;
shares are the patient's consent and change only through the patient's
services; links are revoked through ``access_tokens_revoke``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import DomainError
from core.models import NotificationStatus, User

from ..models import AccessToken, Case, ClinicShare, Patient
from ..services.tokens import access_tokens_revoke
from .base import ConciergeAdminMixin, ReadOnlyInline


class PatientCaseInline(ReadOnlyInline):
    model = Case
    fields = ("case_link", "status", "condition", "submitted_at")
    readonly_fields = fields
    verbose_name_plural = _("Cases")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return super().get_queryset(request).select_related("condition")

    @admin.display(description=_("case"))
    def case_link(self, obj: Case) -> str:
        url = reverse("admin:intake_case_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.reference)


@admin.register(Patient)
class PatientAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "full_name",
        "email",
        "age_display",
        "country",
        "language",
        "case_count",
        "created_at",
    )
    search_fields = ("full_name", "email", "cases__reference")
    search_help_text = _("Search by name, email or case reference.")
    list_filter = ("language",)
    ordering = ("-created_at",)
    readonly_fields = (
        "full_name",
        "email",
        "phone",
        "date_of_birth",
        "age_display",
        "sex",
        "country",
        "time_zone",
        "language",
        "spoken_languages",
        "user",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = (PatientCaseInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Patient]:
        return super().get_queryset(request).annotate(n_cases=Count("cases"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("age"), ordering="-date_of_birth")
    def age_display(self, obj: Patient) -> str:
        return "-" if obj.age is None else str(obj.age)

    @admin.display(description=_("cases"), ordering="n_cases")
    def case_count(self, obj: Patient) -> int:
        return int(getattr(obj, "n_cases", 0))


class ShareStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ClinicShare)
class ClinicShareAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    list_display = ("case", "clinic", "granted_at", "revoked_at")
    list_filter = (ShareStateFilter, "clinic")
    list_select_related = ("case", "clinic")
    search_fields = ("case__reference", "clinic__name")
    readonly_fields = ("case", "clinic", "granted_at", "revoked_at")
    fields = readonly_fields
    ordering = ("-granted_at",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LinkEmailFilter(admin.SimpleListFilter):
    """The state of the e-mail that carried the link: did the patient get it?"""

    title = _("e-mail")
    parameter_name = "email"
    NONE = "none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*NotificationStatus.choices, (self.NONE, _("No e-mail (issued directly)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == self.NONE:
            return queryset.filter(notification__isnull=True)
        if self.value() in NotificationStatus.values:
            return queryset.filter(notification__status=self.value())
        return queryset


@admin.register(AccessToken)
class AccessTokenAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    list_display = (
        "case",
        "purpose",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "email_status",
    )
    list_filter = ("purpose", LinkEmailFilter)
    list_select_related = ("case", "notification")
    search_fields = ("case__reference",)
    # The hash is never shown: it is useless to staff and need not travel. The outbox
    # e-mail that carried the link is (its row holds no body, so no link either).
    fields = (
        "case",
        "purpose",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "notification",
    )
    readonly_fields = fields
    ordering = ("-created_at",)
    actions = ("revoke_case_links",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("e-mail"), ordering="notification__status")
    def email_status(self, obj: AccessToken) -> str:
        """The status of the e-mail that carried the link; "-" for a link issued without one."""
        if obj.notification is None:
            return "-"
        return str(obj.notification.get_status_display())

    @admin.action(description=_("Revoke every live link of these cases"))
    def revoke_case_links(self, request: HttpRequest, queryset: QuerySet[AccessToken]) -> None:
        user: User = request.user  # type: ignore[assignment]
        cases = {t.case_id: t.case for t in queryset.select_related("case")}
        total = 0
        try:
            for case in cases.values():
                total += access_tokens_revoke(case=case, acting_user=user)
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return
        self.message_user(
            request, _("%(count)s link(s) revoked.") % {"count": total}, messages.SUCCESS
        )
