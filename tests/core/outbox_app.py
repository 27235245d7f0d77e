"""Registers the test notification kinds in processes the reliability tests spawn.

``config.settings.test`` installs this app only when ``OUTBOX_TEST_KINDS=1``
(set by ``tests/core/outbox_harness.py`` for its workers and dispatchers), so a
worker process renders ``tests.ping`` exactly as the suite's own process does.
"""

from __future__ import annotations

from django.apps import AppConfig


class OutboxTestKindsConfig(AppConfig):
    name = "tests.core"
    label = "tests_outbox"
    verbose_name = "Outbox test kinds"

    def ready(self) -> None:
        from . import outbox_kinds  # noqa: F401 - registers tests.ping
