"""A custom staticfiles finder, shaped like django-compressor's CompressorFinder.

Planted on purpose: it serves built bundles from ``BASE_DIR/bundles``, a folder that is neither in
STATICFILES_DIRS nor an app's ``static/``, so only the finder itself can tell where they come from.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import BaseFinder, searched_locations
from django.core.checks import CheckMessage
from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_join


class BundleFinder(BaseFinder):
    """Find the output of the front-end build in ``BASE_DIR/bundles``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.location = str(Path(settings.BASE_DIR) / "bundles")
        self.storage = FileSystemStorage(location=self.location)
        super().__init__(*args, **kwargs)

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        """Return no errors: a missing bundles folder just means nothing was built yet."""
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        """Return the absolute path of ``path`` in the bundles folder (a list with find_all)."""
        # Django 5.2 may still pass the deprecated ``all``; 6.1 dropped both it and the helper.
        if kwargs:
            check_deprecated = getattr(self, "_check_deprecated_find_param", None)
            if check_deprecated is None:
                name = next(iter(kwargs))
                raise TypeError(f"find() got an unexpected keyword argument '{name}'")
            find_all = check_deprecated(find_all=find_all, **kwargs)
        if self.location not in searched_locations:
            searched_locations.append(self.location)
        # Like FileSystemFinder, a path escaping the folder raises SuspiciousFileOperation.
        candidate = safe_join(self.location, path)
        if os.path.isfile(candidate):
            return [candidate] if find_all else candidate
        # Not None: finders.find() wraps a non-list in a list, and [None] breaks the serve view.
        return []

    def list(
        self, ignore_patterns: Iterable[str] | None
    ) -> Iterator[tuple[str, FileSystemStorage]]:
        """Yield ``(relative_path, storage)`` for every built bundle."""
        if not os.path.isdir(self.location):
            return
        for path in utils.get_files(self.storage, ignore_patterns):
            yield path, self.storage
