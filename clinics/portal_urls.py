"""The clinic portal for clinic staff (mounted at /portal/)."""

from __future__ import annotations

from django.urls import path

from .views import portal, portal_records

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    # Before the <slug> routes; staff and the clinic's own members only, 404 for anyone else.
    path(
        "credential-documents/<int:pk>/",
        portal_records.credential_document,
        name="credential_document",
    ),
    path("<slug:slug>/", portal.clinic_home, name="clinic"),
    path("<slug:slug>/profile/", portal.profile_edit, name="profile"),
    path("<slug:slug>/offerings/", portal.offering_list, name="offerings"),
    path("<slug:slug>/offerings/new/", portal.offering_new, name="offering_new"),
    path("<slug:slug>/offerings/<int:pk>/", portal.offering_edit, name="offering"),
    path(
        "<slug:slug>/offerings/<int:pk>/withdraw/",
        portal.offering_withdraw_view,
        name="offering_withdraw",
    ),
    path("<slug:slug>/team/", portal.team, name="team"),
    path("<slug:slug>/team/new/", portal.doctor_new, name="doctor_new"),
    path("<slug:slug>/team/<int:pk>/", portal.doctor_edit, name="doctor"),
    path("<slug:slug>/team/<int:pk>/remove/", portal.doctor_remove_view, name="doctor_remove"),
    path("<slug:slug>/credentials/", portal_records.credential_list, name="credentials"),
    path("<slug:slug>/credentials/new/", portal_records.credential_new, name="credential_new"),
    path("<slug:slug>/changes/", portal_records.change_list, name="changes"),
    path("<slug:slug>/changes/<int:pk>/", portal_records.change_detail, name="change"),
    path("<slug:slug>/reviews/", portal_records.review_list, name="reviews"),
    path(
        "<slug:slug>/reviews/<int:pk>/reply/",
        portal_records.review_reply_view,
        name="review_reply",
    ),
]
