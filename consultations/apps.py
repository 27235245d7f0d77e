from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.dashboard import dashboard_register

        from . import emails  # noqa: F401 - registers the consultation notification kinds
        from .dashboard import consultations_tiles
        from .hooks import register_hooks

        # The lower apps offer typed hooks; this app plugs into them (never the reverse).
        register_hooks()
        dashboard_register("consultations", consultations_tiles, order=20)
