"""Who may use the concierge admin: concierge staff (the ``concierge`` role) and superusers.

Shared by every app's admin. Role membership is looked up once per request (the
user's groups are prefetched) and remembered on it: the admin asks for
permissions many times per page, and those checks must not become a query each
(changelist query counts are pinned in the tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse

from .admin_audit import AccessAuditAdminMixin
from .models import Role

_CACHE_ATTR = "_is_concierge"
_CLINICIAN_ATTR = "_is_clinician"
_ADMIN_ATTR = "_may_use_admin"

# The back-office roles (docs/architecture.md "Roles"): each may open /admin/ and
# sees only what its own checks or its group's permissions allow.
BACK_OFFICE_ROLES = (Role.CONCIERGE, Role.CLINICIAN, Role.ADMINISTRATOR)


def _prefetch_groups(request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated and "groups" not in getattr(user, "_prefetched_objects_cache", {}):
        # One query for the groups; every later role check on this request is free.
        prefetch_related_objects([user], "groups")


def is_concierge(request: HttpRequest) -> bool:
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return bool(cached)
    _prefetch_groups(request)
    user = request.user
    result = bool(
        may_use_admin(request) and (user.is_superuser or user.has_role(Role.CONCIERGE))  # type: ignore[union-attr]
    )
    setattr(request, _CACHE_ATTR, result)
    return result


def is_clinician(request: HttpRequest) -> bool:
    """Concierge staff who also review cases clinically: clinical answers and documents."""
    cached = getattr(request, _CLINICIAN_ATTR, None)
    if cached is not None:
        return bool(cached)
    user = request.user
    result = bool(
        is_concierge(request) and (user.is_superuser or user.has_role(Role.CLINICIAN))  # type: ignore[union-attr]
    )
    setattr(request, _CLINICIAN_ATTR, result)
    return result


def may_use_admin(request: HttpRequest) -> bool:
    """Whether /admin/ opens at all: active staff in a back-office role, never clinic staff.

    A clinic account is refused even with ``is_staff`` set by mistake: the admin
    holds every clinic's and every patient's data.
    """
    cached = getattr(request, _ADMIN_ATTR, None)
    if cached is not None:
        return bool(cached)
    _prefetch_groups(request)
    user = request.user
    result = bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and not user.has_role(Role.CLINIC_STAFF)  # type: ignore[union-attr]
        and (
            user.is_superuser or any(user.has_role(role) for role in BACK_OFFICE_ROLES)  # type: ignore[union-attr]
        )
    )
    setattr(request, _ADMIN_ATTR, result)
    return result


def admin_login_guard(login_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The admin's login page refuses a signed-in account that may not use the admin.

    Django's admin login would otherwise offer that account a password form
    that signs in as someone else without allauth's limits or second factor.
    """

    @wraps(login_view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not may_use_admin(request):
            raise PermissionDenied
        return login_view(request, *args, **kwargs)

    return guarded


class ConciergeAdminMixin(AccessAuditAdminMixin):
    """View and change for concierge staff; add/delete only where a subclass opts in.

    Patient data is created through the intake's services and erased by the erasure
    service, never by an admin button; subclasses opt in where that makes sense.
    Every look at a patient-data row is audited (``core.admin_audit``).
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
