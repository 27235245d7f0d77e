"""Fixtures for the core tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# The outbox's process rig (its own Redis, SMTP sink, workers and dispatchers), for the
# test_outbox_reliability*.py modules.
from .outbox_scenario import rig  # noqa: F401


@pytest.fixture
def upload_tmp(settings: Any, tmp_path: Path) -> Path:
    """Every temporary file the upload code makes lands here, so a test can see leftovers."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


@pytest.fixture
def code_backend(settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.core.outbox_kinds.CodeBackend"
