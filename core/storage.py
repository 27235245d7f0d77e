"""Private storage for patient and clinic documents.

Two backends, one rule: a private file has no public URL and reaches a reader
only through a view that has checked who is asking.

- ``PrivateStorage`` (the embedded default): files under ``PRIVATE_MEDIA_ROOT``,
  streamed by the authorising view.
- ``PrivateS3Storage`` (``STORAGE_BACKEND=s3``): a private S3-compatible bucket.
  Objects are written without any ACL (the bucket's owner-only default; a
  public ACL is refused at start-up), with a server-side encryption header,
  and read back through a presigned GET that lives ``PRIVATE_MEDIA_URL_SECONDS``
  and is only ever handed out by the authorising view (``core.uploads.downloads``).
"""

from __future__ import annotations

import io
import os
from typing import Any

from boto3.s3.transfer import TransferConfig
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

# Canned ACLs that keep an object readable by its owner only. Anything else
# (public-read, authenticated-read, ...) would publish patient files.
_PRIVATE_ACLS = frozenset({None, "", "private", "bucket-owner-full-control"})
MIB = 1024 * 1024


class PrivateStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private files have no public URL; use a download view.")

    def _save(self, name: str, content: File[Any]) -> str:
        """A sanitized upload is linked into place; anything else is copied as Django does.

        The sanitizer writes its clean copy to a file that has no name yet (Linux's
        ``O_TMPFILE``, ``core.uploads.sanitize``): nothing is left on disk if the worker
        dies. Saving it gives it its name with one ``linkat`` instead of reading and
        writing every byte again (a 20 MB scan: two passes over 20 MB saved). Where the
        file cannot be linked (another file system, an ordinary temporary file, not
        Linux), it is copied.
        """
        fd = _unnamed_descriptor(content)
        if fd is None:
            return str(super()._save(name, content))  # type: ignore[misc]
        content.flush()
        directory = os.path.dirname(self.path(name))
        if self.directory_permissions_mode is not None:
            old_umask = os.umask(0o777 & ~self.directory_permissions_mode)
            try:
                os.makedirs(directory, self.directory_permissions_mode, exist_ok=True)
            finally:
                os.umask(old_umask)
        else:
            os.makedirs(directory, exist_ok=True)
        while True:
            try:
                _link(fd, self.path(name))
                break
            except FileExistsError:
                name = self.get_available_name(name)  # a race for the name, as in Django
            except OSError:
                content.seek(0)
                return str(super()._save(name, content))  # type: ignore[misc]
        if self.file_permissions_mode is not None:
            os.chmod(self.path(name), self.file_permissions_mode)
        return str(name).replace("\\", "/")


def _link(fd: int, path: str) -> None:
    """``linkat(AT_FDCWD, "/proc/self/fd/<fd>", dir, name, AT_SYMLINK_FOLLOW)``: open(2)'s
    own way to name an O_TMPFILE. (Python calls plain link(2), which does not follow the
    /proc link, unless a directory descriptor is given.)"""
    directory = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(
            f"/proc/self/fd/{fd}",
            os.path.basename(path),
            dst_dir_fd=directory,
            follow_symlinks=True,
        )
    finally:
        os.close(directory)


def _unnamed_descriptor(content: File[Any]) -> int | None:
    """The descriptor of ``content``'s file if that file has no name on disk."""
    try:
        fd = int(content.file.fileno())  # type: ignore[union-attr]
        return fd if os.fstat(fd).st_nlink == 0 else None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


class PrivateS3Storage(S3Storage):
    """django-storages' S3 backend, locked down for patient files.

    Settings that could publish a file are fixed here, not left to the
    environment: URLs are always signed (no ``custom_domain``, which would hand
    out plain unsigned links), no ACL header is sent unless it is a private one,
    and every object is written with ``ServerSideEncryption``.
    """

    def __init__(
        self,
        *,
        server_side_encryption: str = "AES256",
        kms_key_id: str = "",
        signed_url_seconds: int = 60,
        part_bytes: int = 8 * MIB,
        max_concurrency: int = 2,
        **options: Any,
    ) -> None:
        # SigV4 only: its links carry their own lifetime (X-Amz-Expires) under the signature.
        options["signature_version"] = "s3v4"
        super().__init__(**options)
        if self.default_acl not in _PRIVATE_ACLS:
            raise ImproperlyConfigured(
                f"Private storage refuses the ACL {self.default_acl!r}: patient files stay private."
            )
        if server_side_encryption not in {"AES256", "aws:kms"}:
            raise ImproperlyConfigured("AWS_S3_SERVER_SIDE_ENCRYPTION must be AES256 or aws:kms.")
        if signed_url_seconds < 1:
            raise ImproperlyConfigured("PRIVATE_MEDIA_URL_SECONDS must be 1 or more.")
        self.querystring_auth = True
        self.custom_domain = None
        # A name collision must never replace someone's document (names are random anyway).
        self.file_overwrite = False
        self.signed_url_seconds = signed_url_seconds
        # Reading a file (export zips, DICOM de-identification) downloads it into a
        # SpooledTemporaryFile; django-storages' default of 0 never spills to disk,
        # which would hold a 200 MB study in RAM.
        self.max_memory_size = int(getattr(self, "max_memory_size", 0)) or 2 * MIB
        encryption: dict[str, str] = {"ServerSideEncryption": server_side_encryption}
        if server_side_encryption == "aws:kms" and kms_key_id:
            encryption["SSEKMSKeyId"] = kms_key_id
        configured: dict[str, Any] = dict(getattr(self, "object_parameters", {}))
        self.object_parameters = {
            **{k: v for k, v in configured.items() if k != "ACL"},
            **encryption,
            # Whatever reaches a browser is a download it must not keep.
            "CacheControl": "private, no-store",
        }
        # Uploads go up in parts of part_bytes, at most max_concurrency read into
        # memory at once (s3transfer would otherwise buffer 10 parts ahead), so
        # memory stays near part_bytes * max_concurrency whatever the file's size.
        transfer = TransferConfig(
            multipart_threshold=part_bytes,
            multipart_chunksize=part_bytes,
            max_concurrency=max_concurrency,
            use_threads=max_concurrency > 1,
        )
        # s3transfer's own knob; boto3's constructor does not take it.
        transfer.max_in_memory_upload_chunks = max_concurrency
        self.transfer_config = transfer

    def url(
        self, name: str | None, parameters: Any = None, expire: Any = None, http_method: Any = None
    ) -> str:
        # Only signed_download_url may mint a URL, and only an authorising view calls it.
        raise NotImplementedError("Private files have no public URL; use a download view.")

    def signed_download_url(self, name: str, *, download_name: str, content_type: str) -> str:
        """A presigned GET that downloads ``name`` as an attachment; call it AFTER authorising.

        S3 sets the response headers from the signed query, so the file arrives
        as an attachment with our name and type and is not cached, whatever
        metadata the object has.
        """
        return super().url(
            name,
            parameters={
                "ResponseContentDisposition": f'attachment; filename="{download_name}"',
                "ResponseContentType": content_type,
                "ResponseCacheControl": "private, no-store",
            },
            expire=self.signed_url_seconds,
        )
