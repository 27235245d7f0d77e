"""Public intake wizard and the patient's magic-link case pages (mounted at /intake/)."""

from __future__ import annotations

from django.urls import path

app_name = "intake"

urlpatterns: list = []
