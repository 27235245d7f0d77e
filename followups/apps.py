from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-ups")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.dashboard import dashboard_register

        from . import emails  # noqa: F401 - registers the follow-up notification kinds
        from .dashboard import followups_tiles

        dashboard_register("followups", followups_tiles, order=5)
