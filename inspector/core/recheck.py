"""The digest a background check takes of every source and collected file (``treewalk``).

Taken before a check, in a hashing process once a project is large enough to have them, it
lets the next background re-check compare one digest instead of re-stat'ing every file in the
web process (``layers``).
"""

from __future__ import annotations

import os

from django.core.files.storage import FileSystemStorage

from ..conf import get_config
from .pool import PROCESS_MIN_FILES, in_pool
from .sources import folder_sources
from .storage.instance import collected_storage
from .treewalk import fingerprint


def digest_before_check(last_files: int | None) -> str | None:
    """Return the digest of every source and collected file, or None when it would prove
    nothing: a source or storage that is not a local folder, a broken pool, a file that
    changed within the last clock tick.

    ``last_files`` is how many paths the last check found. A first check (None) walks here:
    no process is running yet, and it is in the background. A project of fewer than
    ``PROCESS_MIN_FILES`` gets None at once, as this process re-checks it sooner than it
    would start processes; a larger one is walked in a hashing process.
    """
    if last_files is not None and last_files < PROCESS_MIN_FILES:
        return None
    folders = folder_sources()
    storage, _error = collected_storage()
    if folders is None or (storage is not None and not isinstance(storage, FileSystemStorage)):
        return None
    if storage is not None:
        folders = (*folders, os.path.abspath(storage.location))
    if last_files is None:
        return fingerprint(folders)
    return in_pool(fingerprint, (folders,), get_config()["HASH_PROCESSES"])
