"""Developer machine: the embedded default plus debug conveniences."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import PRIVATE_STORAGE, env

DEBUG = env.bool("DEBUG", default=True)
# A newcomer's demo logins should open the admin without enrolling a TOTP app.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=False)
CLINIC_MFA_REQUIRED = env.bool("CLINIC_MFA_REQUIRED", default=False)
STORAGES = {
    "default": PRIVATE_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# django-ratelimit wants a shared cache; the embedded default has only a
# per-process one, which still limits a single web process.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]
