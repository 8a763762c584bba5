"""Finders used by the tests: real ``BaseFinder`` subclasses with real faults."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage


class UnlistedFinder(BaseFinder):
    """Like django-compressor's CompressorFinder: finds files but lists none."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.storage = FileSystemStorage(location=settings.INSPECTOR_TEST_FOLDER)
        super().__init__(*args, **kwargs)

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        location = os.path.join(self.storage.location, path)
        if os.path.exists(location):
            return [location] if find_all else location
        return [] if find_all else None

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        return iter(())


class ListingFinder(UnlistedFinder):
    """A plain custom finder over one folder."""

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for path in utils.get_files(self.storage, ignore_patterns):
            yield path, self.storage


class VanishingFinder(ListingFinder):
    """Deletes each file right after listing it, as a build tool cleaning up mid-walk would."""

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for path, storage in list(super().list(ignore_patterns)):
            yield path, storage
            if path.startswith("tmp/"):
                os.remove(storage.path(path))


class ExplodingFinder(ListingFinder):
    """A finder with a bug: listing raises."""

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        raise RuntimeError("exploding finder")
