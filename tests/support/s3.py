"""S3 as a user configures it, for the tests in ``tests/s3/``: django-storages' options for a
SeaweedFS bucket, the bucket seen through plain boto3 (to plant faults as a hand edit or a
half-finished deploy would), and botocore's event hooks to count requests."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.config import Config
from django.core.management import call_command

from .seaweed import SeaweedFS

BACKEND = "storages.backends.s3.S3ManifestStaticStorage"
LOCATION = "static"
# What a user sets for an S3-compatible server: path-style addressing, and bounded waits so a
# dead endpoint costs seconds, not botocore's default 60 s timeouts times its retries.
CLIENT_CONFIG = Config(
    s3={"addressing_style": "path"},
    signature_version="s3v4",
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 2},  # one retry
)


def s3_options(server: SeaweedFS, bucket: str, endpoint_url: str | None = None) -> dict[str, Any]:
    """Return ``STORAGES["staticfiles"]["OPTIONS"]`` as a user would write them."""
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or server.endpoint_url,
        "access_key": server.credentials["access_key"],
        "secret_key": server.credentials["secret_key"],
        "region_name": server.region,
        "location": LOCATION,
        "querystring_auth": False,
        "file_overwrite": True,
        "client_config": CLIENT_CONFIG,
    }


def s3_storages(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": BACKEND, "OPTIONS": options},
    }


@dataclass
class Bucket:
    """A collected project: its sources on disk and its collection in one bucket."""

    server: SeaweedFS
    name: str
    static: Path  # the app's static folder (the sources)
    client: Any  # a plain boto3 client, for planting faults

    def key(self, name: str) -> str:
        return f"{LOCATION}/{name}"

    def read(self, name: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=self.key(name))["Body"].read())

    def put(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=self.key(name), Body=data)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=self.key(name))

    def names(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=LOCATION + "/"
        )
        return {o["Key"][len(LOCATION) + 1 :] for page in pages for o in page.get("Contents", ())}

    def manifest(self) -> dict[str, str]:
        return dict(json.loads(self.read("staticfiles.json"))["paths"])

    def edit_manifest(self, change: Any) -> None:
        data = json.loads(self.read("staticfiles.json"))
        change(data)
        self.put("staticfiles.json", json.dumps(data).encode())


def collectstatic() -> None:
    """The real command, against the configured S3 storage (``collect()`` assumes a folder)."""
    call_command("collectstatic", interactive=False, verbosity=0)


class RequestLog:
    """Count the S3 operations (``before-call``) and HTTP attempts (``before-send``)."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()
        self.attempts = 0

    def attach(self, client: Any) -> RequestLog:
        client.meta.events.register("before-call.s3", self._on_call)
        client.meta.events.register("before-send.s3", self._on_send)
        return self

    def _on_call(self, model: Any, **_: Any) -> None:
        self.operations[model.name] += 1

    def _on_send(self, **_: Any) -> None:
        self.attempts += 1


def edit_source(path: Path, content: str) -> None:
    """Edit a source so that collectstatic copies it again.

    collectstatic skips a file whose stored copy is at least as new (whole seconds); an S3
    object's LastModified cannot be backdated, so the source is dated a little ahead instead.
    """
    path.write_text(content)
    ahead = time.time() + 5
    os.utime(path, (ahead, ahead))
