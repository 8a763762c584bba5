"""The copies a storage that keeps only hashed files holds (whitenoise's
``WHITENOISE_KEEP_ONLY_HASHED_FILES``).

Such a storage deletes every unhashed copy after ``post_process``, on purpose: the live layer
then compares a source with the hashed copy its manifest entry names. A plain file's hashed
copy holds its bytes; a CSS or JS file's holds its text with its references rewritten to the
manifest's names, so the source is the collected one if rewriting it with those names gives
the stored bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from typing import Any

from django.core.files.base import File

from ..storage.instance import KnownDigest, ManifestStorage
from .expected import CopiedSources, SourceFile, rewrite
from .naming import is_adjustable, uses_md5_names


class _AsCollected:
    """The copy a missed lookup hashed when the manifest was written: for a plain file, the
    bytes its manifest entry was named after (the 12 hex digits of that name); otherwise, as
    nothing else kept it, today's copy."""

    def __init__(
        self, storage: ManifestStorage, names: Mapping[str, str], today: CopiedSources
    ) -> None:
        self.storage, self.names, self.today = storage, names, today

    def __call__(self, path: str) -> File[Any] | KnownDigest | None:
        hashed = self.names.get(path)
        if hashed is not None and self.today.md5_names and not is_adjustable(self.storage, path):
            folder, _, filename = path.rpartition("/")
            root, ext = os.path.splitext(filename)
            stem = f"{folder}/{root}." if folder else f"{root}."
            digest = hashed[len(stem) : len(hashed) - len(ext)] if hashed.endswith(ext) else ""
            if hashed.startswith(stem) and _HEX12.fullmatch(digest):
                return KnownDigest(digest.ljust(32, "0"))  # file_hash takes the first 12
        return self.today(path)


_HEX12 = re.compile(r"[0-9a-f]{12}")


def rewritten_md5(
    storage: ManifestStorage,
    names: Mapping[str, str],
    sources: Mapping[str, SourceFile],
    path: str,
    data: bytes,
) -> str:
    """Return the md5 of the hashed copy ``post_process`` wrote for ``data`` (the source of
    ``path``) when it wrote the manifest whose hashed ``names`` are given.

    Raises ValueError for text that is not UTF-8 or a reference collectstatic cannot find,
    OSError for an unreadable file.
    """
    today = CopiedSources(sources, uses_md5_names(type(storage)))
    as_collected = _AsCollected(storage, names, today)
    text = rewrite(storage, path, data.decode("utf-8"), dict(names), as_collected)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
