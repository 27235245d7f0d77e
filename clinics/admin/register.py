"""The vetting register in the admin: credentials by expiry, verify and reject."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.audit import audit_event_record
from core.uploads import EXTENSIONS, private_file_response

from ..models import Credential, CredentialStatus
from ..querysets import CredentialQuerySet
from ..services import credential_reject, credential_verify
from .base import ConciergeAdminMixin, acting, is_concierge, run_each, with_note
from .notices import CredentialNoticeInline


class ExpiryFilter(admin.SimpleListFilter):
    title = _("expiry")
    parameter_name = "expiry"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("expired", _("Expired")),
            (
                "soon",
                _("Expiring in %(days)s days") % {"days": settings.CLINIC_CREDENTIAL_WARN_DAYS},
            ),
            ("later", _("Valid for longer")),
            ("none", _("No expiry date")),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Credential]
    ) -> QuerySet[Credential]:
        today = timezone.localdate()
        soon = today + dt.timedelta(days=settings.CLINIC_CREDENTIAL_WARN_DAYS)
        # "Expired" and "expiring" mean "needs action": verified and not replaced by a
        # renewal, the rule the daily sweep and the dashboard's numbers use.
        match self.value():
            case "expired":
                return (
                    cast(CredentialQuerySet, queryset)
                    .not_renewed()
                    .filter(status="verified", expires_on__lt=today)
                )
            case "soon":
                return (
                    cast(CredentialQuerySet, queryset)
                    .not_renewed()
                    .filter(status="verified", expires_on__gte=today, expires_on__lte=soon)
                )
            case "later":
                return queryset.filter(expires_on__gt=soon)
            case "none":
                return queryset.filter(expires_on__isnull=True)
        return queryset


@admin.register(Credential)
class CredentialAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    """Credentials arrive through the portal (checked by content); staff verify here."""

    list_display = (
        "clinic",
        "kind",
        "issuer",
        "number",
        "issued_on",
        "expires_on",
        "expiry_display",
        "status",
        "verified_by",
        "verified_at",
    )
    list_filter = (
        ExpiryFilter,
        "status",
        "kind",
        "clinic__country",
        "document_active_content_removed",
    )
    list_select_related = ("clinic", "verified_by")
    search_fields = ("clinic__name", "issuer", "number")
    date_hierarchy = "expires_on"
    readonly_fields = (
        "clinic",
        "kind",
        "issuer",
        "number",
        "issued_on",
        "expires_on",
        "download",
        "document_name",
        "document_kind",
        "document_size",
        "document_active_content_removed",
        "document_sha256",
        "uploaded_by",
        "created_at",
        "status",
        "verified_by",
        "verified_at",
        "decision_note",
    )
    fields = readonly_fields
    inlines = (CredentialNoticeInline,)
    actions = ("verify", "reject")

    @admin.display(description=_("expiry"))
    def expiry_display(self, obj: Credential) -> str:
        if obj.expires_on is None:
            return str(_("no expiry"))
        days = (obj.expires_on - timezone.localdate()).days
        if days < 0:
            return str(_("expired %(n)s days ago") % {"n": -days})
        return str(_("in %(n)s days") % {"n": days})

    @admin.display(description=_("document"))
    def download(self, obj: Credential) -> str:
        if not obj.pk or not obj.document:
            return "-"
        url = reverse("admin:clinics_credential_document", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Download"))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/document/",
                self.admin_site.admin_view(self.document_view),
                name="clinics_credential_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        """Stream the document to concierge staff only; each download is audited."""
        if not is_concierge(request):
            raise Http404
        credential = get_object_or_404(Credential.objects.select_related("clinic"), pk=pk)
        if not credential.document:
            raise Http404
        audit_event_record(
            action="clinics.credential.downloaded",
            acting_user=acting(request),
            target=credential,
            request=request,
            data={"clinic": credential.clinic_id},
        )
        ext = EXTENSIONS.get(credential.document_kind, "")  # type: ignore[call-overload]
        return private_file_response(
            credential.document,
            download_name=f"{credential.clinic.slug}-{credential.kind}-{credential.pk}{ext}",
            content_type=credential.document_content_type,
        )

    @admin.action(description=_("Verify (document checked against the issuer)"))
    def verify(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        run_each(
            self,
            request,
            queryset.exclude(status=CredentialStatus.VERIFIED),
            lambda c: credential_verify(credential=c, acting_user=acting(request), request=request),
            str(_("%(count)d credential(s) verified.")),
        )

    @admin.action(description=_("Reject (with a note to the clinic)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Credential]) -> HttpResponse | None:
        return with_note(
            self,
            request,
            queryset,
            action="reject",
            title=str(_("Reject credentials")),
            apply=lambda c, note: credential_reject(
                credential=c, acting_user=acting(request), note=note, request=request
            ),
            done=str(_("%(count)d credential(s) rejected.")),
        )
