"""Who may use the concierge admin: concierge staff (the ``concierge`` role) and superusers.

Shared by every app's admin. Role membership is looked up once per request (the
user's groups are prefetched) and remembered on it: the admin asks for
permissions many times per page, and those checks must not become a query each
(changelist query counts are pinned in the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import prefetch_related_objects
from django.http import HttpRequest

from .models import Role

_CACHE_ATTR = "_is_concierge"


def is_concierge(request: HttpRequest) -> bool:
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return bool(cached)
    user = request.user
    if user.is_authenticated and "groups" not in getattr(user, "_prefetched_objects_cache", {}):
        # One query for the groups; every later role check on this request is free.
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
    """View and change for concierge staff; add/delete only where a subclass opts in.

    Patient data is created through the intake's services and erased by the erasure
    service, never by an admin button; subclasses opt in where that makes sense.
    """

    allow_add = False
    allow_delete = False
    # Django 6's default; saying it now silences the transition warning.
    formfield_overrides: Mapping[type[models.Field[Any, Any]], Mapping[str, Any]] = {
        models.URLField: {"assume_scheme": "https"}
    }

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
