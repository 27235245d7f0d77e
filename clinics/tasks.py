"""Clinics tasks: thin, idempotent, ids only; the services do the work.

E-mails leave through the outbox (``core.notifications``): the services queue
them in their own transaction, so no task here sends mail.
"""

from __future__ import annotations

from celery import Task, shared_task


@shared_task(
    bind=True,
    ignore_result=True,
    expires=6 * 3600,
    soft_time_limit=60,
    time_limit=90,
    max_retries=3,
)
def exchange_rates_refresh(self: Task) -> None:  # type: ignore[type-arg]
    """Daily (beat): fetch exchange rates where a provider key is configured; reprice offerings.

    Network trouble and the provider's 5xx or 429 are retried with backoff and
    jitter, three times; any other refusal (a wrong or expired key) is logged for
    staff and not retried. Without a key it does nothing: staff keep rates in the admin.
    """
    import logging
    import random
    from urllib.error import HTTPError, URLError

    from .services.rates import exchange_rates_refresh as refresh

    countdown = 60 * 2**self.request.retries + random.uniform(0, 30)  # noqa: S311
    try:
        refresh()
    except HTTPError as exc:
        if exc.code == 429 or exc.code >= 500:
            raise self.retry(exc=exc, countdown=countdown) from exc
        logging.getLogger(__name__).error(
            "exchange rates: the provider refused the request (HTTP %s); check the key", exc.code
        )
    except (URLError, TimeoutError, ConnectionError) as exc:
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(ignore_result=True, expires=3600)
def credential_expiry_check() -> None:
    """Daily (beat): create due expiry notices, queue their e-mails, queue clinics for review."""
    from .services import credential_expiry_sweep

    credential_expiry_sweep()
