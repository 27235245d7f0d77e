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

from typing import Any

from boto3.s3.transfer import TransferConfig
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

# Canned ACLs that keep an object readable by its owner only. Anything else
# (public-read, authenticated-read, ...) would publish patient files.
_PRIVATE_ACLS = frozenset({None, "", "private", "bucket-owner-full-control"})
MIB = 1024 * 1024


class PrivateStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private files have no public URL; use a download view.")


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

    def url(self, name: str | None, parameters: Any = None, expire: Any = None,
            http_method: Any = None) -> str:
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
