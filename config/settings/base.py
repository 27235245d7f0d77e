"""Settings shared by every environment.

Every value comes from the environment (django-environ) and a bad value fails
loudly at start-up. With no environment at all the portal runs on the
*embedded default*: SQLite, a filesystem Celery broker, a local-memory cache
and e-mail written to files, all under ``var/``.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-key-change-me-0123456789abcdef")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_ID = 1

INSTALLED_APPS = [
    # Before the admin: it patches translated fields into ModelAdmin forms (docs/i18n.md).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    # third party
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "django_celery_beat",
    "django_countries",
    "django_htmx",
    "phonenumber_field",
    "simple_history",
    "timezone_field",
    # Exchange rates (ExchangeBackend, Rate) behind every USD equivalent (clinics.money).
    "djmoney.contrib.exchange",
    # ours, lowest layer first: followups -> consultations -> intake -> clinics -> core
    "core",
    "clinics",
    "intake",
    "consultations",
    "followups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends sessions past their idle or absolute limit before anything reads them.
    "core.sessions.SessionTimeoutMiddleware",
    "core.middleware.TimezoneMiddleware",
    "core.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # axes last: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "core.sessions.session_timeout_context",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is shared by the web server and the worker: WAL,
    # IMMEDIATE transactions and a busy timeout keep "database is locked" away.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # Reusing connections is worth ~7x on a 20-row page (docs/architecture.md).
    if env.bool("DATABASE_POOL", default=True):
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 8, "timeout": 10}
    else:
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Parameters bound on the server, and a statement a connection runs for the fifth
        # time prepared (Django turns psycopg's preparing off by default): PostgreSQL then
        # stops parsing and planning it each time. The outbox's per-message UPDATE costs it a
        # third less CPU. docs/deploy.md "PostgreSQL" for PgBouncer.
        _db.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -------------------------------------------------------
REDIS_URL: str | None = env.str("REDIS_URL", default=None) or None
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_DATA_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # Nothing is scheduled days ahead as an ETA task (docs/architecture.md),
        # so an hour comfortably covers the longest task plus retries.
        "visibility_timeout": 3600,
    }
else:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
    for _sub in ("queue", "processed", "control"):
        (CELERY_DATA_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_DATA_DIR / "control"),
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="portal")


def celery_queues(default: str) -> tuple[str, str, dict[str, dict[str, str]]]:
    """Mail, files and the rest on separate queues, so the health canary and a
    staff alert never wait behind a batch of mail or a zip being built."""
    mail, files = f"{default}.mail", f"{default}.files"
    routes = {
        "core.tasks.outbox_send": {"queue": mail},
        "*.files_*": {"queue": files},
    }
    return mail, files, routes


CELERY_MAIL_QUEUE, CELERY_FILES_QUEUE, CELERY_TASK_ROUTES = celery_queues(CELERY_TASK_DEFAULT_QUEUE)

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:after_login"
# Where core:after_login sends everyone who is not back-office staff: the clinic portal.
# Named here, at the top, so core never names a URL of an app above it.
PORTAL_HOME_URL = "portal:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
# Accounts are created by concierge staff (clinic staff) - nobody signs up.
ACCOUNT_ADAPTER = "core.adapters.NoSignupAccountAdapter"
# Tell a user when their password, e-mail or second factor changes (through the outbox).
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Changing the password keeps this session (Django re-signs it) and ends every
# other one: their session auth hash no longer matches (core.sessions).
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# No "remember me": a session ends with the browser as well as on the idle limits.
ACCOUNT_SESSION_REMEMBER = False
# Failed sign-ins are counted per account *and* client (the key is built by
# core.adapters from the e-mail and core.net.client_ip), plus a looser ceiling
# per client, so a flood from one client never refuses another client.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("ACCOUNT_LOGIN_FAILED_RATE", default="20/m/ip,5/5m/key"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Stem-cell concierge"
# Staff must hold a second factor before the admin opens (core.middleware).
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=True)
# Clinic staff must hold one before any clinic-portal page (shared cases hold patient data).
CLINIC_MFA_REQUIRED = env.bool("CLINIC_MFA_REQUIRED", default=True)
CLINIC_PORTAL_PATH = "/portal/"

# --- Client address ---------------------------------------------------------
# How many reverse proxies of ours sit in front of the app. 0: REMOTE_ADDR only
# (every forwarding header is ignored); N: the N-th X-Forwarded-For entry from
# the right. One function answers for everyone: core.net.client_ip.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ValueError("TRUSTED_PROXY_COUNT must be 0 or more.")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
RATELIMIT_IP_META_KEY = "core.net.client_ip_required"

# --- Sessions ---------------------------------------------------------------
# Idle limits per kind of session, an absolute lifetime, and how long before
# the idle limit the page warns (core.sessions, static/js/session-timeout.js).
SESSION_IDLE_STAFF_SECONDS = env.int("SESSION_IDLE_STAFF_SECONDS", default=15 * 60)
SESSION_IDLE_CLINIC_SECONDS = env.int("SESSION_IDLE_CLINIC_SECONDS", default=30 * 60)
SESSION_IDLE_PATIENT_SECONDS = env.int("SESSION_IDLE_PATIENT_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_WARNING_SECONDS = env.int("SESSION_WARNING_SECONDS", default=2 * 60)
# Activity is saved at most this often (a session may end up to this much early).
SESSION_ACTIVITY_RESOLUTION = env.int("SESSION_ACTIVITY_RESOLUTION", default=60)

# Lock-outs live in the database (shared by every web process), per account and client.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=8)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
# allauth authenticates with email=...: without this axes would see no account
# and lock the whole client address (core.adapters.axes_username).
AXES_USERNAME_CALLABLE = "core.adapters.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Never let axes pick an address itself: with django-ipware installed it would
# believe the left-most X-Forwarded-For, and a fresh fake header would reset every lock.
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
# The lock-out page in the site layout (templates/account/lockout.html), status 429.
AXES_LOCKOUT_CALLABLE = "core.views.axes_lockout"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Reference data (conditions) is translated in columns of its own table (django-modeltranslation):
# an empty Spanish or Arabic name falls back to English, never to a blank option.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static and media -------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Patient and clinic documents: private storage, never under a public URL.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
# Nothing is served from MEDIA_ROOT. A URL on a host that cannot exist also keeps
# Django's test live server from publishing private files (it skips any
# MEDIA_URL with a host), so browser tests cannot reach documents by the back door.
MEDIA_URL = "https://private-media.invalid/"
# Where private files live: "filesystem" (PRIVATE_MEDIA_ROOT, one machine) or "s3" (a
# private S3-compatible bucket that every web and worker machine shares; docs/deploy.md).
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="filesystem")
if STORAGE_BACKEND == "filesystem":
    PRIVATE_STORAGE: dict[str, object] = {"BACKEND": "core.storage.PrivateStorage"}
elif STORAGE_BACKEND == "s3":
    # Keys may be left out: boto3 then finds credentials itself (instance or task role).
    PRIVATE_STORAGE = {
        "BACKEND": "core.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "region_name": env.str("AWS_S3_REGION_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "server_side_encryption": env.str("AWS_S3_SERVER_SIDE_ENCRYPTION", default="AES256"),
            "kms_key_id": env.str("AWS_S3_SSE_KMS_KEY_ID", default=""),
            # A download link is a bearer credential: it lives this long (seconds).
            "signed_url_seconds": env.int("PRIVATE_MEDIA_URL_SECONDS", default=60),
        },
    }
else:
    raise ValueError("STORAGE_BACKEND must be 'filesystem' or 's3'.")
STORAGES = {
    "default": PRIVATE_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Uploads ----------------------------------------------------------------
# Every uploaded file streams to a temporary file in 64 KB chunks (no in-memory
# handler at all), so a 200 MB study never sits in RAM; core.uploads stops a
# file or request over these caps before it fills the disk and tells the view.
FILE_UPLOAD_HANDLERS = ["core.uploads.CappedUploadHandler"]
FILE_UPLOAD_TEMP_DIR: str | None = env.str("FILE_UPLOAD_TEMP_DIR", default="") or None
UPLOAD_MAX_FILE_BYTES = env.int("UPLOAD_MAX_FILE_BYTES", default=200 * 1024 * 1024)
UPLOAD_MAX_DOCUMENT_BYTES = env.int("UPLOAD_MAX_DOCUMENT_BYTES", default=25 * 1024 * 1024)
UPLOAD_MAX_FILES_PER_REQUEST = env.int("UPLOAD_MAX_FILES_PER_REQUEST", default=100)
UPLOAD_MAX_REQUEST_BYTES = env.int("UPLOAD_MAX_REQUEST_BYTES", default=1024 * 1024 * 1024)
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=50_000_000)
UPLOAD_PDF_MAX_DECODED_BYTES = env.int("UPLOAD_PDF_MAX_DECODED_BYTES", default=512 * 1024 * 1024)
# PDFs are opened and disarmed by qpdf in a child process with hard limits (core/uploads/pdf.py).
UPLOAD_PDF_MAX_PAGES = env.int("UPLOAD_PDF_MAX_PAGES", default=2000)
UPLOAD_PDF_MAX_OBJECTS = env.int("UPLOAD_PDF_MAX_OBJECTS", default=250_000)
UPLOAD_PDF_MAX_SECONDS = env.int("UPLOAD_PDF_MAX_SECONDS", default=60)
UPLOAD_PDF_MAX_MEMORY_BYTES = env.int("UPLOAD_PDF_MAX_MEMORY_BYTES", default=768 * 1024 * 1024)
# One above ours, so our handler (a clear message), not Django's bare 400, says no.
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES_PER_REQUEST + 1

# --- E-mail -----------------------------------------------------------------
EMAIL_SINK_DIR = VAR_DIR / "mail"
vars().update(env.email_url("EMAIL_URL", default=f"filemail://{EMAIL_SINK_DIR}"))
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":  # type: ignore[name-defined]  # noqa: F821
    EMAIL_FILE_PATH = str(EMAIL_SINK_DIR)
    EMAIL_SINK_DIR.mkdir(parents=True, exist_ok=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Concierge <care@concierge.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CONCIERGE_EMAIL = env.str("CONCIERGE_EMAIL", default="concierge@concierge.example")
# Adverse events go to whoever is on duty (a rota inbox or pager gateway), else the inbox.
CONCIERGE_ON_DUTY_EMAIL = env.str("CONCIERGE_ON_DUTY_EMAIL", default="")

# The outbox (core.notifications; docs/architecture.md "Where an e-mail goes").
OUTBOX_MESSAGE_ID_DOMAIN = env.str("OUTBOX_MESSAGE_ID_DOMAIN", default="concierge.example")
OUTBOX_DISPATCH_EVERY = env.int("OUTBOX_DISPATCH_EVERY", default=5)  # beat, seconds
OUTBOX_CLAIM_BATCH = env.int("OUTBOX_CLAIM_BATCH", default=500)
# Messages per send task (one SMTP connection). Small enough that the mail workers' threads
# share what is in flight evenly (OUTBOX_MAX_IN_FLIGHT / chunk tasks for 8 threads on the
# bench: 50 sent 8-10 % more than 100, with 0 duplicates).
OUTBOX_SEND_CHUNK = env.int("OUTBOX_SEND_CHUNK", default=50)
# Claimed, unsent rows at most (all dispatchers together, roughly): the rest waits in
# the database in priority order. Keep it below what the workers send in one lease.
OUTBOX_MAX_IN_FLIGHT = env.int("OUTBOX_MAX_IN_FLIGHT", default=1000)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=1800.0)
OUTBOX_RELEASE_CHUNK_ON_TRANSIENT = True
OUTBOX_NUDGE = env.bool("OUTBOX_NUDGE", default=True)
# /healthz turns red when the oldest due message has waited longer than this.
OUTBOX_HEALTH_MAX_AGE = env.int("OUTBOX_HEALTH_MAX_AGE", default=300)

# --- Clinics ----------------------------------------------------------------
# The directory and clinic profiles, as anonymous visitors see them, are served from the
# cache until a service changes what they show (core.public_cache; only with a shared
# cache such as Redis: a per-process cache could not hear a change made elsewhere).
PUBLIC_PAGE_CACHE = env.bool("PUBLIC_PAGE_CACHE", default=True)
# Each web process keeps what it read of that cache while it hears every change (Redis
# pub/sub; core.page_memo): a hit then costs no round trip.
PUBLIC_PAGE_MEMO = env.bool("PUBLIC_PAGE_MEMO", default=True)
# Credential documents (PDF/JPEG/PNG, sniffed by content) larger than this are refused.
CLINIC_DOCUMENT_MAX_BYTES = env.int("CLINIC_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
# The daily credential check warns this many days before a credential expires.
CLINIC_CREDENTIAL_WARN_DAYS = env.int("CLINIC_CREDENTIAL_WARN_DAYS", default=30)
# Exchange rates: with a provider key, beat fetches them daily (clinics.tasks); without
# one, staff keep them in the admin (Clinics -> Exchange rates). Open Exchange Rates wins.
OPEN_EXCHANGE_RATES_APP_ID = env.str("OPEN_EXCHANGE_RATES_APP_ID", default="")
FIXER_ACCESS_KEY = env.str("FIXER_ACCESS_KEY", default="")
BASE_CURRENCY = "USD"  # what django-money asks the provider to quote against

# --- Intake -----------------------------------------------------------------
# A DICOM series can be large; a whole case is capped so one patient cannot fill the disk.
INTAKE_MAX_FILE_BYTES = env.int("INTAKE_MAX_FILE_BYTES", default=200 * 1024 * 1024)
INTAKE_MAX_CASE_BYTES = env.int("INTAKE_MAX_CASE_BYTES", default=1024 * 1024 * 1024)
INTAKE_RESUME_LINK_DAYS = env.int("INTAKE_RESUME_LINK_DAYS", default=7)
INTAKE_CASE_LINK_DAYS = env.int("INTAKE_CASE_LINK_DAYS", default=30)
INTAKE_PRIVACY_NOTICE_VERSION = env.str("INTAKE_PRIVACY_NOTICE_VERSION", default="2026-11")
# django-ratelimit rate for the public intake POSTs and link requests, per client IP.
INTAKE_RATE_LIMIT = env.str("INTAKE_RATE_LIMIT", default="30/m")
INTAKE_LINK_RATE_LIMIT = env.str("INTAKE_LINK_RATE_LIMIT", default="5/h")
# Drafts never submitted are deleted (answers, files, links) after this many idle days.
INTAKE_DRAFT_RETENTION_DAYS = env.int("INTAKE_DRAFT_RETENTION_DAYS", default=30)
# A clinic's "all imaging as one zip" stays downloadable this long after it is ready.
INTAKE_STUDY_ARCHIVE_MINUTES = env.int("INTAKE_STUDY_ARCHIVE_MINUTES", default=60)
# A patient's "download everything we hold about me" works this long after it is ready.
INTAKE_EXPORT_HOURS = env.int("INTAKE_EXPORT_HOURS", default=24)
# The legal hold on erasure: a completed treatment record is kept this many years after
# the treatment (the treating clinic's country decides; docs/intake.md "Patients' rights").
TREATMENT_RECORD_RETENTION_YEARS = env.int("TREATMENT_RECORD_RETENTION_YEARS", default=10)
TREATMENT_RECORD_RETENTION_YEARS_BY_COUNTRY = {
    code.upper(): int(years)
    for code, years in env.dict("TREATMENT_RECORD_RETENTION_YEARS_BY_COUNTRY", default={}).items()
}

# --- Consultations ----------------------------------------------------------
# Reschedule/cancel links in booking e-mails stop working after this many days (or
# when the booking is over, whichever comes first).
CONSULTATIONS_LINK_DAYS = env.int("CONSULTATIONS_LINK_DAYS", default=90)
# A video consultation without the host's own link gets an unguessable room here.
CONSULTATIONS_VIDEO_ROOM_URL = env.str(
    "CONSULTATIONS_VIDEO_ROOM_URL", default="https://meet.jit.si/concierge-"
)
# Reminders go this many hours before a confirmed consultation.
CONSULTATIONS_REMINDER_HOURS = env.list("CONSULTATIONS_REMINDER_HOURS", cast=int, default=[24, 1])

# --- Celery -----------------------------------------------------------------
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Processes per worker, by the queue it consumes (`python -m config.worker <role>`, one
# worker per queue and machine; docs/deploy.md). Mail is network-bound, files CPU- and
# disk-bound, the rest short.
WORKER_CONCURRENCY = {
    "default": env.int("WORKER_CONCURRENCY_DEFAULT", default=2),
    "mail": env.int("WORKER_CONCURRENCY_MAIL", default=4),
    "files": env.int("WORKER_CONCURRENCY_FILES", default=2),
}
# The pool each role's worker runs its tasks in. Sending mail is mostly waiting (on the
# SMTP server's replies and on the commit that marks each message sent), so the mail
# worker runs WORKER_CONCURRENCY_MAIL threads in one process: their waits overlap, as
# processes' would, at a quarter of the memory. (Celery's time limits do not apply to
# threads; a send is bounded by EMAIL_TIMEOUT per SMTP step and by its lease.) Files and
# the rest are CPU work, and stay in processes.
WORKER_POOL = {
    "default": "prefork",
    "mail": env.str("WORKER_POOL_MAIL", default="threads"),
    "files": "prefork",
}
# How often beat fires the canary; /healthz calls the worker dead after HEALTH_STALE_AFTER.
HEALTH_CANARY_EVERY = env.int("HEALTH_CANARY_EVERY", default=10)
HEALTH_STALE_AFTER = env.int("HEALTH_STALE_AFTER", default=30)
# How long /healthz waits for a canary it just sent (a fresh start has none yet).
HEALTH_CANARY_WAIT = env.float("HEALTH_CANARY_WAIT", default=3.0)

# --- Forms and front end ----------------------------------------------------
# Form widgets render through TEMPLATES, so templates/django/forms/widgets/select.html
# (fast option rendering, core/templatetags/core_widgets.py) overrides Django's.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
PHONENUMBER_DEFAULT_REGION = None

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
