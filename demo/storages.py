"""The demo's staticfiles storages: the release-specific manifest pattern, on disk and on S3.

Each release keeps its manifest in a folder of its own under the storage's location
(``<STATIC_ROOT>/<release_id>/staticfiles.json``, or ``<location>/<release_id>/`` in the bucket),
while the hashed files every release names share the storage (``demo/storages_s3.py`` is the S3
variant). Rolling back is pointing at an
older release id; the asset inspector lists the releases present and compares any two. The id is
a ``release_id`` option, or comes from ``current_release()``: the ``DEMO_RELEASE`` environment
variable (a deploy would use its git hash), else ``DEFAULT_RELEASE``.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files.storage import FileSystemStorage

RELEASE_ENV = "DEMO_RELEASE"
DEFAULT_RELEASE = "2026.12.1"


def current_release() -> str:
    """Return the release being deployed: ``DEMO_RELEASE``, else ``DEFAULT_RELEASE``."""
    return os.environ.get(RELEASE_ENV, "").strip() or DEFAULT_RELEASE


class ReleaseManifestStorage(ManifestStaticFilesStorage):
    """Django's manifest storage with one manifest per release folder under STATIC_ROOT."""

    def __init__(self, *args: Any, release_id: str | None = None, **kwargs: Any) -> None:
        self.release_id = release_id or current_release()
        location = kwargs.get("location") or settings.STATIC_ROOT
        kwargs["manifest_storage"] = FileSystemStorage(
            location=os.path.join(location, self.release_id)
        )
        super().__init__(*args, **kwargs)
