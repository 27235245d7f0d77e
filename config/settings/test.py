"""Test settings: the same stack as production where it matters.

``DATABASE_URL`` / ``REDIS_URL`` point the suite at real PostgreSQL and Redis
(``.ci/run`` sets both); without them it runs on the embedded default.
"""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .base import DATABASES, INSTALLED_APPS, REDIS_URL, VAR_DIR, celery_queues, env

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the test makes around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STAFF_MFA_REQUIRED = False
CLINIC_MFA_REQUIRED = False
# Query-count tests must not see a session write because a slow fixture took a minute.
SESSION_ACTIVITY_RESOLUTION = 300
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "core.storage.PrivateStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
# Factories write rows without the services that announce a change: tests that want the
# public-page cache turn it on themselves (tests/clinics/test_public_cache.py), and for
# the web processes they start (test_public_cache_processes.py).
PUBLIC_PAGE_CACHE = os.environ.get("PUBLIC_PAGE_CACHE") == "1"
AXES_FAILURE_LIMIT = 5

_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a real Celery worker thread sees the same rows.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    # The suite opens and drops its own database; a pool would outlive it.
    _db["OPTIONS"].pop("pool", None)
    _db["CONN_MAX_AGE"] = 0

# Each run consumes its own queue, so a stale message from an earlier run can
# never reach this run's worker.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE") or f"test-{os.getpid()}"
CELERY_MAIL_QUEUE, CELERY_FILES_QUEUE, CELERY_TASK_ROUTES = celery_queues(CELERY_TASK_DEFAULT_QUEUE)
# Worker and dispatcher processes spawned by the reliability tests
# (tests/core/outbox_harness.py) send to that test's own SMTP sink and know its
# test notification kinds; the suite's own process never sets these.
if os.environ.get("TEST_EMAIL_URL"):
    vars().update(env.email_url("TEST_EMAIL_URL"))
if os.environ.get("OUTBOX_TEST_KINDS") == "1":
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.core.outbox_app.OutboxTestKindsConfig"]
# Retries come round in seconds, not minutes, so reliability tests finish.
OUTBOX_RETRY_BASE_SECONDS = float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "0.5"))
OUTBOX_RETRY_MAX_SECONDS = float(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", "5"))
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "30"))
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "40"))
if REDIS_URL:
    # Tests clear the cache between tests (FLUSHDB): keep it off the broker's
    # database, or the flush would drop the queue bindings under the worker.
    from urllib.parse import urlsplit, urlunsplit

    _parts = urlsplit(REDIS_URL)
    _db_index = int(_parts.path.lstrip("/") or 0)
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": urlunsplit(_parts._replace(path=f"/{_db_index + 1}")),
        }
    }
else:
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]
