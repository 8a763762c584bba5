"""Storages for tests: real ones, with a fault or a delay injected where nothing else can."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files import File


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
