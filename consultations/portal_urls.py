"""Consultations in the clinic portal (mounted at /portal/, beside clinics.portal_urls)."""

from __future__ import annotations

from django.urls import path

from .views import portal, portal_treatments

app_name = "consultations_portal"

urlpatterns = [
    path("<slug:slug>/consultations/", portal.bookings, name="bookings"),
    path("<slug:slug>/consultations/<int:pk>/", portal.booking_detail, name="booking"),
    path(
        "<slug:slug>/consultations/<int:pk>/<str:action>/",
        portal.booking_action,
        name="booking_action",
    ),
    path("<slug:slug>/availability/", portal.availability, name="availability"),
    path("<slug:slug>/availability/hours/", portal.rule_new, name="rule_new"),
    path("<slug:slug>/availability/hours/<int:pk>/remove/", portal.rule_delete, name="rule_delete"),
    path("<slug:slug>/availability/days-off/", portal.exception_new, name="exception_new"),
    path(
        "<slug:slug>/availability/days-off/<int:pk>/remove/",
        portal.exception_delete,
        name="exception_delete",
    ),
    path("<slug:slug>/availability/types/new/", portal.type_edit, name="type_new"),
    path("<slug:slug>/availability/types/<int:pk>/", portal.type_edit, name="type_edit"),
    path("<slug:slug>/treatments/", portal_treatments.treatments, name="treatments"),
    path(
        "<slug:slug>/treatments/plan/<str:reference>/", portal_treatments.plan_new, name="plan_new"
    ),
    path("<slug:slug>/treatments/visit/<int:pk>/", portal_treatments.phase_book, name="phase_book"),
    path(
        "<slug:slug>/treatments/record/<str:reference>/",
        portal_treatments.record_new,
        name="record_new",
    ),
    path(
        "<slug:slug>/treatments/records/<int:pk>/complete/",
        portal_treatments.record_complete,
        name="record_complete",
    ),
]
