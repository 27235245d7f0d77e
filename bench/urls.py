"""The portal's URLs plus the bench's own views (served only under ``bench.settings``)."""

from __future__ import annotations

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/bare/", views.bare, name="bench_bare"),
    path("bench/upload/", views.bare_upload, name="bench_bare_upload"),
    path("bench/case-queue/", views.case_queue_work, name="bench_case_queue"),
    path("bench/slots/<int:type_id>/", views.month_of_slots, name="bench_slots"),
    path("", include("config.urls")),
]
