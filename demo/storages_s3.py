"""The S3 demo's staticfiles storage: the release-specific manifest pattern in a bucket.

Kept apart from ``demo/storages.py`` so the file-system demo never imports boto3.
"""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3ManifestStaticStorage, S3Storage

from demo.storages import current_release


class S3ReleaseManifestStorage(S3ManifestStaticStorage):
    """django-storages' manifest storage with one manifest per release, under
    ``<location>/<release_id>/`` in the same bucket."""

    def __init__(self, *args: Any, release_id: str | None = None, **kwargs: Any) -> None:
        self.release_id = release_id or current_release()
        location = str(kwargs.get("location", "")).strip("/")
        prefix = f"{location}/{self.release_id}" if location else self.release_id
        kwargs["manifest_storage"] = S3Storage(**{**kwargs, "location": prefix})
        super().__init__(*args, **kwargs)
