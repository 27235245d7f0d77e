"""Patient and clinic uploads: type by content, sanitise, store privately, serve safely.

The shared contract (docs in /work/brief/uploads-api.md):

    sanitized = sanitize_upload(uploaded, allowed=frozenset({FileKind.PDF}), max_bytes=...)
    instance.document.save(server_file_name(sanitized.kind, prefix="intake"), sanitized.file,
                           save=False)
    ...
    return private_file_response(instance.document, download_name=..., content_type=...)
"""

from __future__ import annotations

from .deidentify import DeidentificationFailed, DeidentificationWithheld, deidentified_dicom
from .downloads import private_file_response, private_stream_response, safe_download_name
from .handlers import CappedUploadHandler, skipped_uploads, upload_rejections
from .kinds import (
    ALL_KINDS,
    CONTENT_TYPES,
    DOCUMENT_KINDS,
    EXTENSIONS,
    FileKind,
    SanitizedUpload,
    UploadRejected,
    clean_display_name,
)
from .naming import server_file_name
from .pdf import active_content_label
from .sanitize import sanitize_upload

__all__ = [
    "ALL_KINDS",
    "CONTENT_TYPES",
    "DOCUMENT_KINDS",
    "EXTENSIONS",
    "CappedUploadHandler",
    "DeidentificationFailed",
    "DeidentificationWithheld",
    "FileKind",
    "SanitizedUpload",
    "UploadRejected",
    "active_content_label",
    "clean_display_name",
    "deidentified_dicom",
    "private_file_response",
    "private_stream_response",
    "safe_download_name",
    "sanitize_upload",
    "server_file_name",
    "skipped_uploads",
    "upload_rejections",
]
