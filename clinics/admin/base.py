"""Who may use the clinics admin, and helpers every clinics ModelAdmin shares.

Concierge staff (the ``concierge`` role, staff flag) and superusers. The role is
looked up once per request: the admin asks many times per page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.admin_access import ConciergeAdminMixin, is_concierge
from core.exceptions import DomainError
from core.models import User

__all__ = ["ConciergeAdminMixin", "is_concierge"]


def acting(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def is_insider(request: HttpRequest, clinic_id: int | None) -> bool:
    """The staff user is also a member of this clinic: they may look, not edit or decide."""
    from ..models import ClinicMembership

    user_id = request.user.pk
    return (
        clinic_id is not None
        and user_id is not None
        and ClinicMembership.objects.filter(user_id=user_id, clinic_id=clinic_id).exists()
    )


class ConciergeInlineMixin:
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def run_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: QuerySet[Any] | list[Any],
    call: Callable[[Any], Any],
    done: str,
) -> int:
    """Call a service per object; report successes and each refusal in plain words."""
    ok = 0
    for obj in objects:
        try:
            call(obj)
        except (DomainError, PermissionDenied) as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj}: {'; '.join(exc.messages)}", messages.ERROR)
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, done % {"count": ok}, messages.SUCCESS)
    return ok


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (the clinic sees it)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
    )


def with_note(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    title: str,
    apply: Callable[[Any, str], Any],
    done: str,
) -> HttpResponse | None:
    """An admin action that asks for a note on an intermediate page, then applies."""
    form = NoteForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        note = form.cleaned_data["note"]
        run_each(modeladmin, request, queryset, lambda obj: apply(obj, note), done)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": list(queryset),
        "form": form,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/clinics/action_with_note.html", context)
