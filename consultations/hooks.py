"""Where consultations plug into the lower apps, through the typed hooks they offer.

- ``intake.case_panels``: the patient's case page lists their consultations,
  with both clocks and the reschedule/cancel links, and a "book" button.
- ``clinics.portal_menu``: the clinic portal gets Consultations, Availability
  and Treatments.
- ``clinics.review_verification``: a review is verified by a completed
  treatment record of that patient at that clinic.
- ``intake.patient_data``: the patient's bookings, plans and treatment records
  join their export and erasure; a treatment record in its retention period
  holds an erasure.

Called once from ``ConsultationsConfig.ready``; the lower apps never name this
app, its URLs or its templates.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clinics.portal_menu import PortalSection, portal_section_register
from clinics.review_verification import treatment_verifier_register
from intake.case_panels import CasePanel, case_panel_register


def register_hooks() -> None:
    from .patient_data import register_patient_data
    from .selectors.treatments import treatment_verifies_review
    from .views.patient import case_panel_context

    case_panel_register(
        CasePanel(
            key="consultations",
            template="consultations/patient/case_panel.html",
            context=case_panel_context,
            order=10,
        )
    )
    for order, key, label, url_name in (
        (110, "consultations", _("Consultations"), "consultations_portal:bookings"),
        (120, "availability", _("Availability"), "consultations_portal:availability"),
        (130, "treatments", _("Treatments"), "consultations_portal:treatments"),
    ):
        portal_section_register(PortalSection(key=key, label=label, url_name=url_name, order=order))
    treatment_verifier_register("consultations.treatment_record", treatment_verifies_review)
    register_patient_data()
