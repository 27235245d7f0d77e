from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicsConfig(AppConfig):
    name = "clinics"
    verbose_name = _("Clinics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.dashboard import dashboard_register

        from . import emails  # noqa: F401 - registers the clinics notification kinds
        from .dashboard import clinics_tiles

        dashboard_register("clinics", clinics_tiles, order=30)
