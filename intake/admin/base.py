"""Who may use the intake admin: concierge staff (the ``concierge`` role) and superusers.

Role membership is looked up once per request (the user's groups are
prefetched) and remembered on it: the admin asks for permissions many times
per page, and those checks must not turn into a query each (the changelist's
query count is pinned in the tests).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import prefetch_related_objects
from django.http import HttpRequest

from core.models import Role

_CACHE_ATTR = "_intake_is_concierge"


def is_concierge(request: HttpRequest) -> bool:
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return bool(cached)
    user = request.user
    if user.is_authenticated and "groups" not in getattr(user, "_prefetched_objects_cache", {}):
        # One query for the groups, then every role check on this request - ours
        # and other apps' admins' (User.has_role reads the prefetch) - is free.
        prefetch_related_objects([user], "groups")
    result = bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or user.has_role(Role.CONCIERGE))  # type: ignore[union-attr]
    )
    setattr(request, _CACHE_ATTR, result)
    return result


class ConciergeAdminMixin:
    """View and change for concierge staff; nobody adds or deletes patient data here.

    Cases, documents and consent are created by the patient through the intake
    (and its services); deleting them is the erasure service's job, never a
    button. Subclasses opt in to add/delete where that makes sense.
    """

    allow_add = False
    allow_delete = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_concierge(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.allow_add and is_concierge(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_delete and is_concierge(request)


class ReadOnlyInline(admin.TabularInline):
    """An inline that lists related rows and never edits them."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_concierge(request)
