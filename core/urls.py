from __future__ import annotations

from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("i18n/setlang/", views.language_switch, name="language"),
    path("welcome/", views.after_login, name="after_login"),
    path("session/keep-alive/", views.session_keepalive, name="session_keepalive"),
    path("session/ended/", views.session_ended, name="session_ended"),
]
