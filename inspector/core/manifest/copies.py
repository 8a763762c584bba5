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
from collections.abc import Mapping

from ..storage.instance import ManifestStorage
from .expected import CopiedSources, SourceFile, rewrite
from .naming import uses_md5_names


def rewritten_md5(
    storage: ManifestStorage,
    names: Mapping[str, str],
    sources: Mapping[str, SourceFile],
    path: str,
    data: bytes,
) -> str:
    """Return the md5 of the hashed copy ``post_process`` writes for ``data`` (the source of
    ``path``) when its references get the hashed ``names`` of a manifest.

    A reference the manifest lookup misses (a query, trailing blanks) hashes today's copy from
    ``sources``, as collectstatic would. Raises ValueError for text that is not UTF-8 or a
    reference collectstatic cannot find, OSError for an unreadable file.
    """
    copied = CopiedSources(sources, uses_md5_names(type(storage)))
    text = rewrite(storage, path, data.decode("utf-8"), dict(names), copied)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
