"""A real S3-compatible server for the storage tests: moto in server mode on 127.0.0.1.

One ``moto_server`` process per test session (about 2 s to start); each test gets
a bucket of its own, made private the way docs/deploy.md asks of a real one, and
the portal's ``default`` storage pointed at it. With ``CI=true`` a missing moto
fails the run (``require``): the S3 tests never skip silently in CI.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require

REGION = "eu-west-1"
# moto accepts any keys; boto3 refuses to sign without some.
ACCESS_KEY = "AKIATESTPORTAL000001"
SECRET_KEY = "portal-test-secret-not-a-real-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class MotoServer:
    endpoint: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )


@dataclass
class Bucket:
    name: str
    server: MotoServer
    client: Any

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def storage_options(self, **overrides: Any) -> dict[str, Any]:
        """What config/settings/base.py builds from the environment for STORAGE_BACKEND=s3."""
        return {
            "bucket_name": self.name,
            "region_name": REGION,
            "endpoint_url": self.server.endpoint,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "addressing_style": "path",
            "signed_url_seconds": 60,
            **overrides,
        }


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which(
        "moto_server"
    )
    require(executable is not None, "moto_server not installed (pip install -e '.[test]')")
    assert executable is not None
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start on {endpoint}", pytrace=False)
                time.sleep(0.1)
        yield MotoServer(endpoint=endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3_bucket(moto_server: MotoServer, settings: Any) -> Bucket:
    """A fresh private bucket, and the portal's private storage pointed at it."""
    client = moto_server.client()
    name = f"portal-private-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    # What docs/deploy.md asks of the real bucket: no public access, whatever an ACL says.
    client.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    bucket = Bucket(name=name, server=moto_server, client=client)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "core.storage.PrivateS3Storage",
            "OPTIONS": bucket.storage_options(),
        },
    }
    return bucket


def use_storage_options(settings: Any, bucket: Bucket, **overrides: Any) -> None:
    """Re-point the private storage at ``bucket`` with some options changed."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "core.storage.PrivateS3Storage",
            "OPTIONS": bucket.storage_options(**overrides),
        },
    }
