from __future__ import annotations

from django.urls import path

from . import views

app_name = "followups_portal"

urlpatterns = [
    path("events/", views.clinic_events, name="events"),
    path("<slug:slug>/events/", views.clinic_events, name="clinic_events"),
    path("events/<int:pk>/", views.clinic_event, name="event"),
]
