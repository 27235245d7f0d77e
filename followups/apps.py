from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-ups")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clinics.portal_menu import PortalSection, portal_section_register
        from clinics.profile_sections import profile_section_register
        from core.dashboard import dashboard_register

        from . import emails  # noqa: F401 - registers the follow-up notification kinds
        from .dashboard import followups_tiles
        from .patient_data import register_patient_data
        from .profile import outcome_card, outcome_card_changes_at

        dashboard_register("followups", followups_tiles, order=5)
        profile_section_register(
            "followups.outcomes", outcome_card, order=50, changes_at=outcome_card_changes_at
        )
        portal_section_register(
            PortalSection(
                "followups", _("Adverse events"), "followups_portal:clinic_events", order=90
            )
        )
        # intake.patient_data: check-ins join the export and erasure; an open event holds it.
        register_patient_data()
