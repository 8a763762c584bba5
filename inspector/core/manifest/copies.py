"""The copies a storage that keeps only hashed files holds (whitenoise's
``WHITENOISE_KEEP_ONLY_HASHED_FILES``).

Such a storage deletes every unhashed copy after ``post_process``, on purpose: the live layer
then compares a source with the hashed copy its manifest entry names. A plain file's hashed
copy holds its bytes; a CSS or JS file's holds its text with its references rewritten to the
manifest's names, so the source is the collected one if rewriting it with those names gives
the stored text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.files.base import File

from ..storage.instance import KnownDigest, ManifestStorage
from .expected import CopiedSources, SourceFile, rewrite
from .naming import uses_md5_names

# Stands for the hash of a file a missed lookup (a query, trailing blanks) named: post_process
# hashed the unhashed copy it had just written, which this storage deleted afterwards.
_ANY = "\ue000" * 12


class _AnyCopy:
    """Give every missed lookup the placeholder hash (or, for a storage with its own
    ``file_hash``, today's copy: nothing else can stand for its hash)."""

    def __init__(self, today: CopiedSources) -> None:
        self.today = today

    def __call__(self, path: str) -> File[Any] | KnownDigest | None:
        if self.today.md5_names:
            return KnownDigest(_ANY.ljust(32, "0"))  # file_hash takes the first 12
        return self.today(path)


def is_collected_text(
    storage: ManifestStorage,
    names: Mapping[str, str],
    sources: Mapping[str, SourceFile],
    path: str,
    data: bytes,
    stored: bytes,
) -> bool:
    """Return True if ``stored`` is the hashed copy ``post_process`` wrote for ``data`` (the
    source of ``path``) when it wrote the manifest whose hashed ``names`` are given.

    A file named through a missed lookup may have changed since (its copy is gone): its hash
    may be any. Raises ValueError for text that is not UTF-8 or a reference collectstatic
    cannot find, OSError for an unreadable file.
    """
    copies = _AnyCopy(CopiedSources(sources, uses_md5_names(type(storage))))
    text = rewrite(storage, path, data.decode("utf-8"), dict(names), copies)
    try:
        stored_text = stored.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if _ANY not in text:
        return text == stored_text
    pattern = re.escape(text).replace(re.escape(_ANY), "[0-9a-f]{12}")
    return re.fullmatch(pattern, stored_text, re.DOTALL) is not None
