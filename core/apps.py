from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import account_emails, emails  # noqa: F401 - register core's notification kinds
        from .dashboard import core_tiles, dashboard_register

        dashboard_register("core", core_tiles, order=90)
        from .sessions import connect_signals

        # Framework glue only: session clocks start at sign-in; a changed second
        # factor signs the user out everywhere else (core.sessions).
        connect_signals()
