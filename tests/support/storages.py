"""Storages for tests: real ones, with a fault or a delay injected where nothing else can."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


class SlowManifestStorage(ManifestStaticFilesStorage):
    """Django's manifest storage whose every write takes ``delay`` seconds, like a far bucket:
    a collection lasts long enough to be watched, and killed, half-way."""

    def __init__(self, *args: Any, delay: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delay = delay

    def _save(self, name: str, content: Any) -> str:
        time.sleep(self.delay)
        return super()._save(name, content)
