"""The collected folder walked, and its files hashed, while Django loads a command's process.

A process whose command line runs the inspector's command spends its first fifth loading
Django, the project's apps and the command's modules, on one core. Where the configured
staticfiles backend is one known to keep its files in a local folder, and its manifest there
tells of a large project, ``walk_while_loading`` (``core.loading``) starts walking that folder
in a hashing process then, and once the walk is back, hashes the files it found on the cores
the loading and the sources' listing leave idle (``fingerprints.hash_meanwhile``): the
unhashed and hashed copies the manifest and live layers compare with their sources, and
whatever else the folder holds (but whitenoise's compressed variants). The check's
``ListingAhead`` takes the walk (``taken_by``) if it is of the very folder its storage keeps;
the first work the check sends the processes goes before those digests.

Only settings are read while Django loads: no storage or cache class is imported or made yet
(a project's own may need its models). The walk follows no symlink out of the folder, since
the source folders that ``collectstatic --link`` links into are not known yet either: one
that met such a link is not taken, and the check walks the folder again; so does one whose
folder's manifest was written since (a collection ended while Django loaded).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future

from django.conf import settings

from ...conf import get_config
from .. import fingerprints
from ..pool import start
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
# The cache backend the inspector does not share digests through (``conf.cross_process_cache``).
IN_PROCESS_CACHE = "django.core.cache.backends.locmem.LocMemCache"
# whitenoise's compressed variants: the check reads them only to judge them, if ever.
COMPRESSED = (".gz", ".br")
# Their manifest's name in that folder (``ManifestFilesMixin.manifest_name``).
MANIFEST_NAME = "staticfiles.json"
# A smaller manifest (about 10,000 entries, as ``listing.LIST_AHEAD_MIN_FILES`` counts sources)
# tells of a project too small to gain: starting the hashing processes costs more.
MIN_MANIFEST_BYTES = 1 << 20


class WalkWhileLoading:
    """A walk of the collected folder ``root`` started while Django loaded: its listing, and
    the hashing of its files once it is back (``hash_files``)."""

    def __init__(self, root: str, future: Future[Packed], hash_files: bool) -> None:
        self.root = root
        self._future: Future[Packed] | None = future
        self._hash_files = hash_files
        self._walked: Walked | None = None
        self._back = threading.Event()
        future.add_done_callback(self._arrived)

    def _arrived(self, future: Future[Packed]) -> None:
        # In the pool's thread as the walk comes back (or the thread that cancels it). When the
        # pool broke, Python 3.12 and later run this under the pool's own lock: nothing here
        # may call the pool then (the next work sent finds it broken, and forgets it).
        try:
            if not future.cancelled() and future.exception() is None:
                packed = future.result()
                if not packed.refused:
                    self._walked = unpacked(packed)
                    if self._hash_files:
                        fingerprints.hash_meanwhile(
                            stamp
                            for name, stamp in self._walked.files.items()
                            if not name.endswith(COMPRESSED)
                        )
        finally:
            # The future holds the packed walk, and its callback this object: no cycle kept
            # (the collector may be off), nothing held once unpacked.
            self._future = None
            self._back.set()

    def refused(self) -> bool:
        """Return True if the walk is back and cannot be taken: it met a symlink out of the
        folder, or its pool broke."""
        return self._back.is_set() and self._walked is None

    def take(self) -> Walked | None:
        """Wait for the walk and return it; None if it cannot be taken (``refused``), or if
        the folder's manifest is not the one it listed (``_collected_since``)."""
        self._back.wait()
        walked, self._walked = self._walked, None
        if walked is not None and _collected_since(walked):
            return None
        return walked

    def drop(self) -> None:
        """Let go of a walk nobody takes: not started, it never starts; back later, it is not
        hashed."""
        self._hash_files = False
        future = self._future
        if future is not None:
            future.cancel()


def _collected_since(walked: Walked) -> bool:
    """Return True if the folder's manifest was written (or removed) since the walk listed it.

    The check reads the manifest before it takes the walk: a collection that ended while
    Django loaded would leave it comparing the new manifest with the files as they were
    before, every rewritten one "changed since listed". Walked again, it sees them as they
    are; the window left is the one a check without this walk has.
    """
    listed = walked.files.get(MANIFEST_NAME)
    try:
        return listed is None or listed.now() != listed
    except OSError:
        return True


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
        # A shared cache knows most digests: the check reads it before any file. (Named, not
        # made: a project's own cache backend may need its models.)
        alias = config["CACHE"]
        hash_files = not alias or settings.CACHES[alias].get("BACKEND") == IN_PROCESS_CACHE
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
        _walking = WalkWhileLoading(root, started.future, hash_files)


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
