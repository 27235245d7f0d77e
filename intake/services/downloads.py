"""The build every prepared download shares: claim the row, write the zip, store it, finish.

A kind of download (a clinic's imaging zip in ``services.archives``, a patient's
export in ``services.data_export``) describes itself once as a ``DownloadRecipe``:
what it writes and counts, how long it lasts once ready, and what it audits or
sends. ``download_build`` runs the shape both share:

1. claim the row with a conditional UPDATE (of two workers handed the same
   message, one wins; a row past its deadline is not claimed);
2. write the zip into a temp file outside any transaction, so memory and locks
   stay small whatever its size, and move it into private storage;
3. finish in a short transaction: ready, with the whole lifetime from now.

Any error marks the row failed (whoever asked may ask again) and leaves no file
behind. ``download_in_progress`` is the request side: asking twice while a build
runs shows the same build.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Generic, TypeVar

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..models import IN_PROGRESS_DOWNLOAD_STATUSES, DownloadStatus, PreparedDownload

log = logging.getLogger(__name__)

D = TypeVar("D", bound=PreparedDownload)
C = TypeVar("C")


@dataclass(frozen=True)
class DownloadRecipe(Generic[D, C]):
    """One kind of prepared download: what differs between the kinds, and nothing else."""

    model: type[D]
    # In log lines: "study archive 12: build failed".
    label: str
    # Stored as <folder>/YYYY/MM/<uuid>.zip, a random server name.
    folder: str
    # From the moment it is ready, not from the request.
    lifetime: Callable[[], timedelta]
    # The zip into an open temp file, outside any transaction; returns what went in.
    write: Callable[[D, IO[bytes]], C]
    # ``file_count`` and the kind's own counts from what went in, while finishing.
    count: Callable[[D, C], None]
    # Loaded with the claimed row: what ``write`` and the hooks read.
    related: tuple[str, ...] = ()
    # A failure code when the row may no longer be built (checked after the claim).
    refusal: Callable[[D], str] | None = None
    # In the transaction that marks it ready (an audit row, an e-mail).
    on_ready: Callable[[D], None] | None = None
    # In the transaction that marks it failed, with the failure code.
    on_failed: Callable[[D, str], None] | None = None


class MovedFile(File):  # type: ignore[type-arg]
    """A finished temp file: FileSystemStorage moves it into place instead of copying it."""

    def temporary_file_path(self) -> str:
        return str(self.name)


def download_in_progress(builds: QuerySet[D], *, now: datetime) -> D | None:
    """The build in progress among ``builds`` if still in time; None when there is none.

    One stuck past its deadline (a worker died mid-build) is marked failed so that
    whoever asked may ask again. The caller holds the lock that serialises requests
    for the same scope, so the one-in-progress constraint never fires.
    """
    current = builds.filter(status__in=IN_PROGRESS_DOWNLOAD_STATUSES).first()
    if current is None or not current.is_expired(now):
        return current
    current.transition_to(DownloadStatus.FAILED)
    current.failure = "expired_before_ready"
    current.save(update_fields=["status", "failure"])
    return None


def _claim(recipe: DownloadRecipe[D, C], pk: int) -> D | None:
    # Conditional UPDATE: of two workers handed the same message, one wins.
    model = recipe.model
    claimed = model._default_manager.filter(
        pk=pk,
        status__in=model.TRANSITIONS.sources_of(DownloadStatus.BUILDING),
        expires_at__gt=timezone.now(),
    ).update(status=DownloadStatus.BUILDING, started_at=timezone.now())
    if not claimed:
        return None
    return model._default_manager.select_related(*recipe.related).get(pk=pk)


def download_fail(recipe: DownloadRecipe[D, C], pk: int, failure: str) -> None:
    """Mark the row failed with ``failure`` (a code) unless it is gone or already ended."""
    with transaction.atomic():
        download = recipe.model._default_manager.select_for_update().filter(pk=pk).first()
        if download is None or not download.can_transition_to(DownloadStatus.FAILED):
            return
        download.transition_to(DownloadStatus.FAILED)
        download.failure = failure
        download.save(update_fields=["status", "failure"])
        if recipe.on_failed is not None:
            recipe.on_failed(download, failure)


def download_build(recipe: DownloadRecipe[D, C], pk: int) -> D | None:
    """Build the zip of a requested download; None when another worker has it or it is gone.

    Not atomic on purpose: the file is written outside any transaction; the row is
    claimed before and finished after. Any error marks the row failed and removes
    the partial file.
    """
    download = _claim(recipe, pk)
    if download is None:
        log.info("%s %s: not claimable (missing, expired or taken)", recipe.label, pk)
        return None
    refusal = recipe.refusal(download) if recipe.refusal is not None else ""
    if refusal:
        download_fail(recipe, pk, refusal)
        return None
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - moved into storage below
        suffix=".zip", dir=settings.FILE_UPLOAD_TEMP_DIR or None, delete=False
    )
    try:
        with handle:
            contents = recipe.write(download, handle)
        size = os.path.getsize(handle.name)
        name = f"{recipe.folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.zip"
        with open(handle.name, "rb") as finished:
            stored = download.file.storage.save(name, MovedFile(finished, name=handle.name))
    except Exception:
        log.exception("%s %s: build failed", recipe.label, pk)
        download_fail(recipe, pk, "build_error")
        return None
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
    try:
        return _finish(recipe, pk, stored, size, contents)
    except Exception:
        # Swept, erased or changed while building: the file must not outlive its row.
        log.exception("%s %s: could not be marked ready", recipe.label, pk)
        download.file.storage.delete(stored)
        download_fail(recipe, pk, "finish_error")
        return None


@transaction.atomic
def _finish(recipe: DownloadRecipe[D, C], pk: int, stored: str, size: int, contents: C) -> D:
    # Only the download's own row is locked; the related rows are read with it.
    download = (
        recipe.model._default_manager.select_for_update(of=("self",))
        .select_related(*recipe.related)
        .get(pk=pk)
    )
    now = timezone.now()
    download.transition_to(DownloadStatus.READY)
    download.file.name = stored
    download.ready_at = now
    # Whoever asked gets the whole lifetime from the moment it is ready, not from the request.
    download.expires_at = now + recipe.lifetime()
    download.size = size
    recipe.count(download, contents)
    download.full_clean()
    download.save()
    if recipe.on_ready is not None:
        recipe.on_ready(download)
    return download
