"""Test harness: personas, private media, a real SMTP sink, Chromium, a real worker.

In CI (``CI=true`` or ``STRICT_TESTS=1``) a browser or service test that cannot
run FAILS instead of skipping: nothing that matters may be silently skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings

from clinics.models import Clinic
from core.models import Role, User

from .factories import (
    ClinicFactory,
    ClinicianFactory,
    ClinicMembershipFactory,
    ConciergeFactory,
    UserFactory,
)

STRICT = os.environ.get("STRICT_TESTS") == "1" or os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def require(condition: bool, reason: str) -> None:
    """Skip on a developer machine; fail in CI, where everything must run."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"required in CI but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


# --- Figures: `FIGURE <name> key=value ...` lines in the terminal summary ----
FIGURES: list[str] = []


def record_figure(name: str, **values: object) -> None:
    parts = " ".join(f"{k}={v}" for k, v in values.items())
    FIGURES.append(f"FIGURE {name} {parts}".rstrip())


@pytest.fixture
def figure() -> Callable[..., None]:
    return record_figure


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


# --- Isolation ---------------------------------------------------------------
@pytest.fixture(autouse=True)
def private_media_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.PRIVATE_MEDIA_ROOT = root
    return root


@pytest.fixture(autouse=True)
def _reset_language() -> Iterator[None]:
    """A request in Spanish or Arabic leaves that language active in the thread: reset it,
    so no test depends on the one before it."""
    from django.utils import translation

    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def rate_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold django-ratelimit's clock still for a test that counts refusals.

    Its windows are fixed (a minute from an edge of the key's own), so a test that ran
    across an edge would get a fresh allowance halfway and count twice as many answers.
    """
    import django_ratelimit.core

    frozen = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: frozen))


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield


# --- Personas ------------------------------------------------------------------
@dataclass
class Personas:
    """Two clinics with their staff, two patients and a concierge."""

    concierge: User
    clinic_a: Clinic
    clinic_b: Clinic
    clinic_a_staff: User
    clinic_b_staff: User
    alice: User
    bob: User
    # Concierge staff with the clinician role: the only back-office persona that
    # sees clinical answers and documents.
    clinician: User
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def personas(db: None) -> Personas:
    clinic_a = ClinicFactory.create(name="Clínica Alfa", slug="clinica-alfa", country="MX")
    clinic_b = ClinicFactory.create(
        name="Beta Cell Center",
        slug="beta-cell-center",
        country="TH",
        city="Bangkok",
        time_zone="Asia/Bangkok",
        languages=["th", "en"],
    )
    a_staff = UserFactory.create(email="ana@alfa.example", roles=[Role.CLINIC_STAFF])
    b_staff = UserFactory.create(email="boon@beta.example", roles=[Role.CLINIC_STAFF])
    ClinicMembershipFactory.create(user=a_staff, clinic=clinic_a)
    ClinicMembershipFactory.create(user=b_staff, clinic=clinic_b)
    return Personas(
        concierge=ConciergeFactory.create(email="carmen@concierge.example"),
        clinic_a=clinic_a,
        clinic_b=clinic_b,
        clinic_a_staff=a_staff,
        clinic_b_staff=b_staff,
        alice=UserFactory.create(email="alice@patients.example", roles=[Role.PATIENT]),
        bob=UserFactory.create(email="bob@patients.example", roles=[Role.PATIENT]),
        clinician=ClinicianFactory.create(email="clara@concierge.example"),
    )


# --- A real SMTP server (aiosmtpd) ------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1; Django's SMTP backend sends to it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(host="127.0.0.1", port=_free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            sink.envelopes.append(envelope)
            sink.messages.append(message_from_bytes(envelope.original_content))
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname=sink.host, port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


# --- Chromium through Playwright -------------------------------------------------
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def browser_ready() -> None:
    require(
        os.path.exists(CHROMIUM) and shutil.which(CHROMIUM) is not None,
        f"Chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver)",
    )


# --- Tasks reach the broker only in tests that run the real worker -----------------
@dataclass
class PublishedTask:
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@pytest.fixture(autouse=True)
def published_tasks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record tasks instead of sending them, unless the test runs the real worker.

    A message published by an ordinary test would sit in the broker until the
    session's worker thread starts, then run against another test's rows (and
    race that test's teardown flush). Tests that take ``celery_worker`` publish
    for real.
    """
    published: list[PublishedTask] = []
    if "celery_worker" in request.fixturenames:
        return published
    from celery import uuid
    from celery.app.task import Task
    from celery.result import AsyncResult

    send = Task.apply_async

    def record(self: Task, args: Any = None, kwargs: Any = None, **options: Any) -> AsyncResult:
        if self.app.conf.task_always_eager:  # a test that runs tasks in-process on purpose
            return send(self, args, kwargs, **options)
        published.append(PublishedTask(self.name, tuple(args or ()), dict(kwargs or {})))
        return AsyncResult(uuid(), app=self.app)

    monkeypatch.setattr(Task, "apply_async", record)
    return published


# --- A real Celery worker ----------------------------------------------------------
@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """One worker thread for the session, consuming the real broker.

    Use it only from ``django_db(transaction=True)`` tests: the worker runs in
    another thread and must see committed rows.
    """
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # pragma: no cover - depends on the machine
        require(False, f"Celery broker {django_settings.CELERY_BROKER_URL!r} unreachable: {exc}")
    with (
        django_db_blocker.unblock(),
        start_worker(
            app,
            pool="solo",
            concurrency=1,
            # Every queue, as `make run` does: the outbox sends on the mail queue.
            queues=[
                django_settings.CELERY_TASK_DEFAULT_QUEUE,
                django_settings.CELERY_MAIL_QUEUE,
                django_settings.CELERY_FILES_QUEUE,
            ],
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=20,
        ) as worker,
    ):
        yield worker
