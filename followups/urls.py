from __future__ import annotations

from django.urls import path

from . import views

app_name = "followups"

# Patients, from the e-mailed links. The clinic's pages live under /portal/follow-ups/
# (followups.portal_urls), behind the portal's sign-in and second factor.
urlpatterns = [
    path("c/<str:token>/", views.start, name="start"),
    path("check-in/<int:page>/", views.checkin_page, name="page"),
    path("check-in/done/", views.done, name="done"),
    path("check-in/review/", views.review, name="review"),
    path("stop/<str:token>/", views.stop, name="stop"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
