"""The collected folder walked, and its files hashed, while Django loads a command's process.

A process whose command line runs the inspector's command spends its first fifth loading
Django, the project's apps and the command's modules, on one core. Where the configured
staticfiles backend is one known to keep its files in a local folder, and its manifest there
tells of a large project, ``walk_while_loading`` (``core.loading``) starts walking that folder
in a hashing process then, and once the walk is back, hashes the files it found on the cores
the loading and the sources' listing leave idle (``fingerprints.hash_meanwhile``): the
unhashed and hashed copies the manifest and live layers compare with their sources, all but a
few of a collected folder's files. The check's ``ListingAhead`` takes the walk (``taken_by``)
if it is of the very folder its storage keeps; the first work the check sends the processes
goes before those digests.

Only settings are read while Django loads: no storage class is imported yet (a project's own
may need its models). The walk follows no symlink out of the folder, since the source folders
that ``collectstatic --link`` links into are not known yet either: one that met such a link is
not taken, and the check walks the folder itself.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future

from django.conf import settings

from ...conf import cross_process_cache, get_config
from .. import fingerprints
from ..pool import Started, start
from .folder import Packed, Walked, unpacked, walk_packed
from .instance import staticfiles_params

# The staticfiles backends known to keep their files, and their manifest, in a local folder,
# as settings name them.
LOCAL_BACKENDS = frozenset(
    {
        "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }
)
# Their manifest's name in that folder (``ManifestFilesMixin.manifest_name``).
MANIFEST_NAME = "staticfiles.json"
# A smaller manifest (about 10,000 entries, as ``listing.LIST_AHEAD_MIN_FILES`` counts sources)
# tells of a project too small to gain: starting the hashing processes costs more.
MIN_MANIFEST_BYTES = 1 << 20


class WalkWhileLoading:
    """A walk of the collected folder ``root`` started while Django loaded: its listing, and
    the hashing of its files once it is back (``hash_files``)."""

    def __init__(self, root: str, started: Started[Packed], hash_files: bool) -> None:
        self.root = root
        self._started: Started[Packed] | None = started
        self._hash_files = hash_files
        self._walked: Walked | None = None
        self._back = threading.Event()
        started.future.add_done_callback(self._arrived)

    def _arrived(self, future: Future[Packed]) -> None:
        # In the pool's own thread, as the walk comes back (at once if it is back already).
        started = self._started
        try:
            packed = started.outcome() if started is not None else None
            if packed is not None and not packed.refused:
                self._walked = unpacked(packed)
                if self._hash_files:
                    fingerprints.hash_meanwhile(self._walked.files.values())
        finally:
            # The future holds the packed walk, and its callback this object: no cycle kept
            # (the collector may be off), nothing held once unpacked.
            self._started = None
            self._back.set()

    def take(self) -> Walked | None:
        """Wait for the walk and return it; None if it met a symlink out of the folder, its
        pool broke, or it was dropped."""
        self._back.wait()
        walked, self._walked = self._walked, None
        return walked

    def drop(self) -> None:
        """Let go of a walk nobody takes: not started, it never starts; back later, it is not
        hashed."""
        self._hash_files = False
        started = self._started
        if started is not None:
            started.future.cancel()


_walking: WalkWhileLoading | None = None


def walk_while_loading() -> None:
    """Start walking the configured local collected folder in a hashing process (see the
    module's docstring), unless the backend is not one known to be local, its manifest tells
    of a small project (or is not there), there is no pool, or the settings are wrong (the
    system checks say how)."""
    global _walking
    try:
        params = staticfiles_params()
        if params.get("BACKEND") not in LOCAL_BACKENDS:
            return
        location = (params.get("OPTIONS") or {}).get("location") or settings.STATIC_ROOT
        config = get_config()
        # A shared cache knows most digests: the check reads it before any file.
        hash_files = cross_process_cache() is None
    except Exception:  # any setting's problem is the system checks' to report
        return
    if not location:
        return
    root = os.path.abspath(str(location))  # as FileSystemStorage makes its location
    try:
        if os.stat(os.path.join(root, MANIFEST_NAME)).st_size < MIN_MANIFEST_BYTES:
            return
    except OSError:  # not collected yet, or its manifest kept elsewhere
        return
    started = start(walk_packed, (root, (), ()), config["HASH_PROCESSES"])
    if started is not None:
        _walking = WalkWhileLoading(root, started, hash_files)


def taken_by(location: str) -> WalkWhileLoading | None:
    """Return the walk started while Django loaded if it is of the folder ``location``, and
    forget it here (one check takes it); drop one of another folder."""
    global _walking
    walking, _walking = _walking, None
    if walking is None:
        return None
    if walking.root != location:
        walking.drop()
        return None
    return walking
