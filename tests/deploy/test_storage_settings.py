"""STORAGE_BACKEND picks where private files live, and a bucket can never be made public."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.storage import PrivateS3Storage

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "portal.example",
    "ADMIN_URL": "staff/",
}
PRINT_STORAGE = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.STORAGES['default']))"
)


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    """Load the production settings in a fresh interpreter with only ``env`` added."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "STORAGE_", "PRIVATE_MEDIA"))
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_STORAGE],
        cwd=ROOT,
        env={**clean, **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_files_stay_on_the_filesystem_unless_s3_is_chosen() -> None:
    result = _settings_with()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"BACKEND": "core.storage.PrivateStorage"}


def test_storage_backend_s3_builds_the_private_bucket_storage_from_the_environment() -> None:
    result = _settings_with(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="portal-private",
        AWS_S3_REGION_NAME="eu-central-1",
        PRIVATE_MEDIA_URL_SECONDS="45",
        AWS_S3_SERVER_SIDE_ENCRYPTION="aws:kms",
        AWS_S3_SSE_KMS_KEY_ID="alias/portal",
    )
    assert result.returncode == 0, result.stderr
    storage = json.loads(result.stdout)
    assert storage["BACKEND"] == "core.storage.PrivateS3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["region_name"]) == ("portal-private", "eu-central-1")
    assert options["signed_url_seconds"] == 45
    assert (options["server_side_encryption"], options["kms_key_id"]) == ("aws:kms", "alias/portal")
    # No keys in the environment: boto3 finds the machine's role itself.
    assert options["access_key"] is None and options["secret_key"] is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"STORAGE_BACKEND": "s3", "AWS_S3_REGION_NAME": "eu-west-1"}, "AWS_STORAGE_BUCKET_NAME"),
        ({"STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": "b-1"}, "AWS_S3_REGION_NAME"),
        ({"STORAGE_BACKEND": "gcs"}, "STORAGE_BACKEND"),
    ],
)
def test_a_missing_or_wrong_storage_setting_stops_the_start(
    env: dict[str, str], named: str
) -> None:
    result = _settings_with(**env)
    assert result.returncode != 0
    assert named in result.stderr


def _storage(**options: Any) -> PrivateS3Storage:
    return PrivateS3Storage(
        bucket_name="portal-private",
        region_name="eu-west-1",
        access_key="a",
        secret_key="b",
        **options,
    )


@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "authenticated-read"])
def test_a_public_acl_is_refused_at_start_up(acl: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="patient files stay private"):
        _storage(default_acl=acl)


def test_every_object_is_written_encrypted_and_without_an_acl_header() -> None:
    storage = _storage(object_parameters={"ACL": "public-read", "ContentLanguage": "en"})
    assert storage.object_parameters == {
        "ContentLanguage": "en",
        "ServerSideEncryption": "AES256",
        "CacheControl": "private, no-store",
    }
    kms = _storage(server_side_encryption="aws:kms", kms_key_id="alias/portal")
    assert kms.object_parameters["SSEKMSKeyId"] == "alias/portal"


def test_a_custom_domain_cannot_turn_signed_links_into_plain_ones() -> None:
    storage = _storage(custom_domain="files.example.org", querystring_auth=False)
    assert storage.custom_domain is None and storage.querystring_auth is True
    with pytest.raises(NotImplementedError):
        storage.url("intake/a.pdf")
    signed = storage.signed_download_url(
        "intake/a.pdf", download_name="a.pdf", content_type="application/pdf"
    )
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=60" in signed
