"""Private storage for patient and clinic documents.

Files live under ``PRIVATE_MEDIA_ROOT`` and have no URL: they are only ever
streamed by a view that has checked who is asking.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private files have no public URL; use a download view.")
