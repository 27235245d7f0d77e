"""Storage names: chosen by the server, never derived from what the uploader sent."""

from __future__ import annotations

import re
import uuid

from django.utils import timezone

from .kinds import EXTENSIONS, FileKind

_PREFIX = re.compile(r"[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9_-]*)*")


def server_file_name(kind: FileKind, *, prefix: str) -> str:
    """``<prefix>/YYYY/MM/<uuid4 hex><ext>``, e.g. ``intake/2026/11/3f2a...9c.pdf``.

    ``prefix`` is code, not input: lower-case path segments only, no ``..``,
    no leading or trailing slash (a ValueError otherwise).
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"invalid storage prefix {prefix!r}")
    now = timezone.now()
    return f"{prefix}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{EXTENSIONS[FileKind(kind)]}"
