"""Fixtures for the follow-up tests."""

from __future__ import annotations

# The outbox's process rig (its own Redis, SMTP sink, workers and dispatchers), shared with
# the follow-up reliability tests.
from tests.core.outbox_scenario import rig  # noqa: F401
