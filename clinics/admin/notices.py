"""Credential expiry notices in the admin, with how their e-mails fared.

A notice is the business event; its e-mails are outbox rows (one per reader,
``about`` the notice). Delivery is read from those rows with one annotated
query, never stored twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.models import Notification, NotificationStatus

from ..models import CredentialNotice
from .base import ConciergeAdminMixin, is_concierge


def with_delivery(queryset: QuerySet[CredentialNotice]) -> QuerySet[CredentialNotice]:
    """Annotate each notice with its e-mails: ``mail_total``, ``mail_sent``, ``mail_failed``."""
    rows = Notification.objects.filter(
        about_type=ContentType.objects.get_for_model(CredentialNotice),
        about_id=Cast(OuterRef("pk"), output_field=CharField()),
    ).order_by()

    def count(**filters: Any) -> Coalesce:
        counted = rows.filter(**filters).values("about_id").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)

    return queryset.annotate(
        mail_total=count(),
        mail_sent=count(status=NotificationStatus.SENT),
        mail_failed=count(status=NotificationStatus.FAILED),
    )


def outbox_search_key(notice: CredentialNotice) -> str:
    # The dedupe key's prefix (clinics.services.credential_notice_notify).
    return f"clinics.credential_notice:{notice.pk}:"


def delivery_link(notice: CredentialNotice) -> str:
    total = getattr(notice, "mail_total", 0)
    sent = getattr(notice, "mail_sent", 0)
    failed = getattr(notice, "mail_failed", 0)
    label = str(_("%(sent)d of %(total)d sent")) % {"sent": sent, "total": total}
    if failed:
        label += ", " + str(_("%(failed)d failed")) % {"failed": failed}
    url = reverse("admin:core_notification_changelist") + "?q=" + outbox_search_key(notice)
    return format_html('<a href="{}">{}</a>', url, label)


class DeliveryFilter(admin.SimpleListFilter):
    title = _("e-mails")
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("pending", _("Not all sent yet")), ("failed", _("Some failed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # ``queryset`` carries the ``with_delivery`` annotations (the admins' get_queryset).
        if self.value() == "pending":
            return queryset.filter(mail_sent__lt=F("mail_total"))
        if self.value() == "failed":
            return queryset.filter(mail_failed__gt=0)
        return queryset


class CredentialNoticeInline(admin.TabularInline):
    model = CredentialNotice
    extra = 0
    can_delete = False
    fields = ("kind", "created_at", "delivery")
    readonly_fields = fields

    @admin.display(description=_("e-mails"))
    def delivery(self, obj: CredentialNotice) -> str:
        return delivery_link(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CredentialNotice]:
        return with_delivery(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)


@admin.register(CredentialNotice)
class CredentialNoticeAdmin(ConciergeAdminMixin, admin.ModelAdmin):
    list_display = ("credential", "kind", "created_at", "delivery")
    list_filter = ("kind", DeliveryFilter)
    list_select_related = ("credential__clinic",)
    readonly_fields = ("credential", "kind", "created_at", "delivery")

    @admin.display(description=_("e-mails"))
    def delivery(self, obj: CredentialNotice) -> str:
        return delivery_link(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CredentialNotice]:
        return with_delivery(super().get_queryset(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
