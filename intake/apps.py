from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Patient intake")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clinics.portal_menu import PortalLink, portal_link_register
        from core.dashboard import dashboard_register

        from . import emails  # noqa: F401 - registers intake's notification kinds
        from .dashboard import intake_tiles
        from .patient_data_sources import register_sources

        dashboard_register("intake", intake_tiles, order=10)
        portal_link_register(
            PortalLink("cases", _("Shared patient cases"), "portal_cases:list", order=10)
        )
        # Intake's own share of the patient-data hook (export, erasure); higher apps add theirs.
        register_sources()
