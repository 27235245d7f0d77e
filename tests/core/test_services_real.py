"""Tests against real parts: an SMTP server and a Celery worker on the real broker."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from core.models import Heartbeat
from core.tasks import canary
from tests.conftest import SmtpSink


@pytest.mark.services
def test_it_sends_mail_through_a_real_smtp_server(smtp_sink: SmtpSink) -> None:
    message = EmailMultiAlternatives(
        subject="Your case CC-TEST",
        body="Plain text body",
        to=["alice@patients.example"],
    )
    message.attach_alternative("<p>HTML body</p>", "text/html")
    assert message.send() == 1
    received = smtp_sink.wait_for(1)
    assert len(received) == 1
    assert received[0]["Subject"] == "Your case CC-TEST"
    assert smtp_sink.envelopes[0].rcpt_tos == ["alice@patients.example"]
    assert received[0].is_multipart()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_canary_sent_through_the_broker(
    celery_worker: object, figure: Callable[..., None]
) -> None:
    """
    GIVEN a worker consuming the real broker (Redis in CI)
    WHEN the canary is sent the way /healthz sends it
    THEN the worker executes it and the heartbeat is stamped
    """
    started = time.monotonic()
    canary.delay("web")
    deadline = started + 30
    while not Heartbeat.objects.filter(name="web").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    assert Heartbeat.objects.filter(name="web").exists(), "the worker never ran the canary"
    broker = settings.CELERY_BROKER_URL.split(":", 1)[0]
    figure("canary_roundtrip", seconds=f"{elapsed:.3f}", broker=broker)
