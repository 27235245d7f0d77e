"""The clinic portal for clinic staff (mounted at /portal/)."""

from __future__ import annotations

from django.urls import path

app_name = "portal"

urlpatterns: list = []
