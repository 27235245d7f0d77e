"""Settings the bench serves the portal with: production's stack, plain HTTP on 127.0.0.1.

Everything comes from ``config.settings.base`` (PostgreSQL with a connection pool,
Redis cache, whitenoise, the full middleware stack), as in production, except:

* plain HTTP on 127.0.0.1 (no TLS redirect, no secure cookies): wrk talks to gunicorn
  directly, with no proxy in front;
* no second factor for staff: the bench signs a staff session in with a password
  (``STAFF_MFA_REQUIRED`` off, as in the test settings);
* the public-form rate limit raised: every upload comes from one address;
* ``bench.urls``: the production URLs plus the bench's baseline views, which exist
  nowhere else.
"""

from __future__ import annotations

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="bench-only-secret-key-0123456789abcdefghijklmnop")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
STAFF_MFA_REQUIRED = False
CLINIC_MFA_REQUIRED = False
INTAKE_RATE_LIMIT = "1000000/m"
# The manifest storage needs collectstatic; the bench measures views, not static files.
STORAGES = {
    "default": {"BACKEND": "core.storage.PrivateStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
