"""Cases shared with a clinic, inside the clinic portal (mounted at /portal/cases/)."""

from __future__ import annotations

from django.urls import path

from . import portal_views

app_name = "portal_cases"

urlpatterns = [
    path("", portal_views.case_list, name="list"),
    path("<str:reference>/", portal_views.case_detail, name="detail"),
    path(
        "<str:reference>/documents/<int:document_id>/",
        portal_views.document_download,
        name="document",
    ),
    path(
        "<str:reference>/imaging-zip/",
        portal_views.study_archive_request_view,
        name="study_archive_request",
    ),
    path(
        "<str:reference>/imaging-zip/<int:archive_id>/",
        portal_views.study_archive_download,
        name="study_archive_download",
    ),
]
