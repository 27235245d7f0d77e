"""Cases shared with a clinic, inside the clinic portal (mounted at /portal/cases/)."""

from __future__ import annotations

from django.urls import path

app_name = "portal_cases"

urlpatterns: list = []
