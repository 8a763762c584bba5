"""Storages for tests: real ones, with a fault or a delay injected where nothing else can."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.utils.module_loading import import_string
from storages.backends.s3 import S3ManifestStaticStorage, S3Storage


class SlowManifestStorage(ManifestStaticFilesStorage):
    """Django's manifest storage whose every write takes ``delay`` seconds, like a far bucket:
    a collection lasts long enough to be watched, and killed, half-way."""

    def __init__(self, *args: Any, delay: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delay = delay

    def _save(self, name: str, content: Any) -> str:
        time.sleep(self.delay)
        return super()._save(name, content)


class TricklingManifestStorage(ManifestStaticFilesStorage):
    """Django's manifest storage that writes each file ``chunk`` bytes at a time, ``pause``
    seconds apart, like a slow disk: a worker killed during a write leaves whatever the write
    had reached."""

    def __init__(self, *args: Any, chunk: int = 4096, pause: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chunk = chunk
        self.pause = pause

    def _save(self, name: str, content: Any) -> str:
        if not self.pause:
            return super()._save(name, content)
        return super()._save(name, _Trickling(content, self.chunk, self.pause))


class _Trickling(File):
    def __init__(self, content: Any, chunk: int, pause: float) -> None:
        super().__init__(content, getattr(content, "name", None))
        self.content = content
        self.piece = chunk
        self.pause = pause

    def chunks(self, chunk_size: int | None = None) -> Any:
        for chunk in self.content.chunks():
            for start in range(0, len(chunk), self.piece):
                # Flushed piece by piece by the file system storage's writer (8 KiB buffer).
                time.sleep(self.pause)
                yield chunk[start : start + self.piece]


# --- the release-specific manifest pattern -------------------------------------------------------
# As teams write it: each release's manifest in a folder of its own under the storage's location
# (``<location>/<release_id>``), the hashed files shared by every release. The id is a
# ``release_id`` option, or comes from a strategy function (here the git hash of a checkout).


def git_revision() -> str:
    """The strategy function: the short git hash of the checkout ``RELEASE_CHECKOUT`` names."""
    checkout = getattr(settings, "RELEASE_CHECKOUT", ".")
    return subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short=12", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def release_of(release_id: str | None, release_strategy: str | Callable[[], str] | None) -> str:
    if release_id:
        return release_id
    strategy = import_string(release_strategy) if isinstance(release_strategy, str) else None
    strategy = strategy or release_strategy
    if not callable(strategy):
        raise ImproperlyConfigured("give the release storage a release_id or a release_strategy")
    return str(strategy())


class ReleaseManifestStorage(ManifestStaticFilesStorage):
    """Django's manifest storage with one manifest per release folder, on disk."""

    def __init__(
        self,
        *args: Any,
        release_id: str | None = None,
        release_strategy: str | Callable[[], str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.release_id = release_of(release_id, release_strategy)
        location = kwargs.get("location") or settings.STATIC_ROOT
        kwargs["manifest_storage"] = FileSystemStorage(
            location=os.path.join(location, self.release_id)
        )
        super().__init__(*args, **kwargs)


class S3ReleaseManifestStorage(S3ManifestStaticStorage):
    """django-storages' S3 manifest storage with one manifest per release "folder" (prefix)."""

    def __init__(
        self,
        *args: Any,
        release_id: str | None = None,
        release_strategy: str | Callable[[], str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.release_id = release_of(release_id, release_strategy)
        location = str(kwargs.get("location", "")).strip("/")
        where = f"{location}/{self.release_id}" if location else self.release_id
        kwargs["manifest_storage"] = S3Storage(**{**kwargs, "location": where})
        super().__init__(*args, **kwargs)
