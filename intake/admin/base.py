"""Who may use the intake admin: concierge staff (the ``concierge`` role) and superusers.

Role membership is looked up once per request (the user's groups are
prefetched) and remembered on it: the admin asks for permissions many times
per page, and those checks must not turn into a query each (the changelist's
query count is pinned in the tests).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

# Re-exported: the app's ModelAdmins import them from here.
from core.admin_access import ConciergeAdminMixin, is_clinician, is_concierge  # noqa: F401


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
