"""Public clinic directory and profiles (mounted at /clinics/)."""

from __future__ import annotations

from django.urls import path

from .views import directory, profile

app_name = "clinics"

urlpatterns = [
    path("", directory.directory, name="directory"),
    path("<slug:slug>/", profile.profile, name="profile"),
]
