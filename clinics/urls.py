"""Public clinic directory and profiles (mounted at /clinics/)."""

from __future__ import annotations

from django.urls import path

app_name = "clinics"

urlpatterns: list = []
