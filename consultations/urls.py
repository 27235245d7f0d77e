"""Patient pages for consultations (mounted at /consultations/)."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView

from .views import links, patient

app_name = "consultations"

urlpatterns = [
    path("case/<str:reference>/book/", patient.book_choose, name="book"),
    path("case/<str:reference>/book/<int:type_id>/", patient.book_slot, name="book_slot"),
    path("case/<str:reference>/<int:pk>/", patient.case_booking, name="case_booking"),
    path(
        "case/<str:reference>/<int:pk>/reschedule/", patient.case_reschedule, name="case_reschedule"
    ),
    path("case/<str:reference>/<int:pk>/cancel/", patient.case_cancel, name="case_cancel"),
    path("b/<str:token>/", links.manage, name="manage"),
    path("b/<str:token>/reschedule/", links.manage_reschedule, name="manage_reschedule"),
    path("b/<str:token>/cancel/", links.manage_cancel, name="manage_cancel"),
    path(
        "cancelled/",
        TemplateView.as_view(template_name="consultations/patient/cancelled.html"),
        name="manage_done",
    ),
]
