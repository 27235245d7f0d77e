"""The Celery app. Settings come from Django (``CELERY_*``); the beat
schedule is defined here and nowhere else."""

from __future__ import annotations

import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _build_url_tables(**_kwargs: object) -> None:
    # Before the pool starts (a prefork pool's children inherit them): threads that
    # reverse a URL together would otherwise each build the tables (core.url_tables).
    from core.url_tables import url_tables_build

    url_tables_build()


def _every(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


# Days-ahead work is never an ETA task: the database holds what is due and a
# short periodic dispatcher picks it up (docs/architecture.md, "Tasks").
app.conf.beat_schedule = {
    "health-canary-from-beat": {
        "task": "core.tasks.canary",
        "schedule": _every(int(os.environ.get("HEALTH_CANARY_EVERY", "10"))),
        "args": ("beat",),
        "options": {"expires": 60},
    },
    # The outbox dispatcher: claims due e-mails and enqueues their sends. Commits
    # nudge it too, so this tick only catches retries, leases that ran out and
    # messages the broker lost.
    "outbox-dispatch": {
        "task": "core.tasks.outbox_dispatch",
        "schedule": _every(int(os.environ.get("OUTBOX_DISPATCH_EVERY", "5"))),
        "options": {"expires": 30},
    },
    # Follow-ups: a schedule for each newly completed treatment (within a minute),
    # and the non-response ladder. Invitations themselves are outbox notifications.
    "followups-schedule-new": {
        "task": "followups.tasks.followups_schedule_new",
        "schedule": _every(60),
        "options": {"expires": 55},
    },
    "followups-ladder": {
        "task": "followups.tasks.followups_ladder",
        "schedule": _every(300),
        "options": {"expires": 240},
    },
    # Credential expiry: warn 30 days ahead, queue clinics whose required
    # credential expired, flag legality conflicts. Idempotent, so a rerun is safe.
    "clinics-credential-expiry-daily": {
        "task": "clinics.tasks.credential_expiry_check",
        "schedule": crontab(hour=5, minute=30),
        "options": {"expires": 6 * 3600},
    },
    # Exchange rates: fetched where OPEN_EXCHANGE_RATES_APP_ID or FIXER_ACCESS_KEY is
    # set (otherwise a no-op: staff keep them in the admin); every offering repriced.
    "clinics-exchange-rates-daily": {
        "task": "clinics.tasks.exchange_rates_refresh",
        "schedule": crontab(hour=6, minute=5),
        "options": {"expires": 6 * 3600},
    },
    # Retention: delete drafts idle past INTAKE_DRAFT_RETENTION_DAYS and links
    # dead for 30 days. Idempotent: a second run finds nothing.
    "intake-retention-sweep-daily": {
        "task": "intake.tasks.intake_retention_sweep",
        "schedule": crontab(hour=4, minute=15),
        "options": {"expires": 6 * 3600},
    },
}
