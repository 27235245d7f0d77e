"""Benchmarks share the test harness (fixtures and the FIGURE summary lines)."""

from __future__ import annotations

from tests.conftest import *  # noqa: F403
from tests.conftest import pytest_terminal_summary  # noqa: F401  (the FIGURE lines)
