"""Every admin look at, change to and deletion of patient data leaves an audit row.

``AccessAuditAdminMixin`` is a base of ``core.admin_access.ConciergeAdminMixin``,
so every back-office ModelAdmin inherits it. It acts only for models declared
with ``core.privacy.holds_patient_data``:

* a change page rendered for an existing row (GET, or a form shown again with
  errors): ``admin.viewed`` (``page: change``); the delete confirmation page:
  ``admin.viewed`` (``page: delete``);
* the history page and a historical version's page (django-simple-history):
  ``admin.history_viewed``;
* a save that reaches ``ModelAdmin.save_model``: ``admin.added`` / ``admin.changed``
  with the changed field *names*. A subclass whose ``save_model`` calls a service
  instead (the house rule) leaves the row to that service;
* a deletion, one by one or as a bulk action: ``admin.deleted``.

Each row is written in the transaction Django's admin opens for the page (or
one of our own around it), through ``core.audit``: ids and field names only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.admin.utils import unquote
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .audit import access_record
from .models import User
from .privacy import is_patient_data

TRAIL_PARAMETER = "trail"


def _user(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None  # type: ignore[return-value]


def trail_value(obj: models.Model) -> str:
    """How the audit list's trail filter names a record: ``app_label.model:pk``."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def audit_trail_url(obj: models.Model) -> str:
    """The audit events of ``obj`` and everything filed under it, in the admin."""
    changelist = reverse("admin:core_auditevent_changelist")
    return f"{changelist}?{urlencode({TRAIL_PARAMETER: trail_value(obj)})}"


class AccessAuditAdminMixin:
    """Audit rows for admin pages of patient-data models (see the module docstring)."""

    model: type[models.Model]

    def _audits(self) -> bool:
        return is_patient_data(self.model)

    def _record(self, request: HttpRequest, obj: models.Model, action: str, **data: Any) -> None:
        access_record(
            action=action, target=obj, request=request, acting_user=_user(request), data=data
        )

    def _atomic(self) -> Any:
        return transaction.atomic(using=router.db_for_write(self.model))

    # --- looks -----------------------------------------------------------------------
    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        # Called inside the atomic block of Django's change view, after the
        # permission checks: the page is about to show the row.
        if obj is not None and obj.pk is not None and not add and self._audits():
            self._record(request, obj, "admin.viewed", page="change")
            if _may_read_trail(request):
                context["audit_trail_url"] = audit_trail_url(obj)
        return super().render_change_form(  # type: ignore[misc,no-any-return]
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with self._atomic():
            response: HttpResponse = super().delete_view(  # type: ignore[misc]
                request, object_id, extra_context
            )
            if request.method == "GET" and response.status_code == 200 and self._audits():
                obj = self._shown_object(request, response, object_id)
                if obj is not None:
                    self._record(request, obj, "admin.viewed", page="delete")
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with self._atomic():
            response: HttpResponse = super().history_view(  # type: ignore[misc]
                request, object_id, extra_context
            )
            if response.status_code == 200 and self._audits():
                obj = self._shown_object(request, response, object_id)
                if obj is not None:
                    self._record(request, obj, "admin.history_viewed", page="history")
        return response

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """django-simple-history's page of one past version (only routed where it is used)."""
        with self._atomic():
            response: HttpResponse = super().history_form_view(  # type: ignore[misc]
                request, object_id, version_id, extra_context
            )
            if response.status_code == 200 and self._audits():
                obj = self._shown_object(request, response, object_id)
                if obj is not None:
                    self._record(
                        request, obj, "admin.history_viewed", page="version", version=version_id
                    )
        return response

    def _shown_object(
        self, request: HttpRequest, response: HttpResponse, object_id: str
    ) -> models.Model | None:
        # Django's history page hands its object over in the context; simple-history
        # renders at once, so the row is read again (one query by primary key).
        context = getattr(response, "context_data", None) or {}
        obj = context.get("object")
        if isinstance(obj, models.Model):
            return obj
        return self.get_object(request, unquote(object_id))  # type: ignore[attr-defined,no-any-return]

    # --- writes ------------------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if self._audits():
            fields = sorted(getattr(form, "changed_data", []) or [])
            self._record(request, obj, "admin.changed" if change else "admin.added", fields=fields)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        if self._audits():
            self._record(request, obj, "admin.deleted")
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with self._atomic():
            if self._audits():
                for obj in queryset:
                    self._record(request, obj, "admin.deleted", bulk=True)
            super().delete_queryset(request, queryset)  # type: ignore[misc]


def _may_read_trail(request: HttpRequest) -> bool:
    from django.contrib import admin

    from .models import AuditEvent

    model_admin = admin.site._registry.get(AuditEvent)
    return bool(model_admin is not None and model_admin.has_view_permission(request))
