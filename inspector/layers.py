"""The three layers of design.md together: the rows every client shows, and their words.

The CLI, the pages and the panel take a ``Layers`` from here instead of assembling the
inventory, the manifest report and the live report each in their own way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import threading
import warnings
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import django
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin

from .collected import Snapshot, collected_storage, is_remote
from .conf import get_config, shared_cache
from .deployed import LiveReport, get_live_report, orphan_record
from .fingerprints import FileStamp
from .inventory import (
    Inventory,
    PathRecord,
    SourceCheck,
    check_sources,
    inventory_from,
    recent_inventory,
)
from .listings import CLI_ANSWER_KEY, CLI_SIGNATURE_KEY, page_max_age, snapshot_of
from .manifest import ManifestReport, get_manifest_report, read_manifest_text
from .sources import configured_finders

if TYPE_CHECKING:
    from django.core.management.base import OutputWrapper

    from .served import ServedResult


@dataclass(frozen=True)
class Layers:
    """The sources (``inventory``); the manifest and live layers and the served probe's
    results (by path) where they were computed."""

    inventory: Inventory
    manifest: ManifestReport | None = None
    live: LiveReport | None = None
    served: Mapping[str, ServedResult] | None = None

    @cached_property
    def records(self) -> tuple[PathRecord, ...]:
        """Every row, sorted by path: the inventory's, then the paths only the storage has."""
        if self.live is None or not self.live.orphans:
            return self.inventory.paths
        orphans = [orphan_record(path) for path in self.live.orphans]
        return tuple(sorted([*self.inventory.paths, *orphans], key=lambda r: r.path))

    @cached_property
    def _orphans(self) -> frozenset[str]:
        return frozenset(self.live.orphans) if self.live is not None else frozenset()

    def get(self, path: str) -> PathRecord | None:
        """Return the row of ``path``; None for a path no layer lists."""
        record = self.inventory.get(path)
        if record is None and path in self._orphans:
            return orphan_record(path)
        return record

    def manifest_status(self, path: str) -> str | None:
        return str(self.manifest.status_of(path)) if self.manifest is not None else None

    def live_status(self, path: str) -> str | None:
        if self.live is None:
            return None
        status = self.live.status_of(path)
        return str(status) if status is not None else None

    def served_status(self, path: str) -> str | None:
        if self.served is None:
            return None
        result = self.served.get(path)
        return str(result.status) if result is not None else None

    @cached_property
    def counts(self) -> Counter[str]:
        """Return how many rows carry each word: status, flag, manifest and live status."""
        counts = self.inventory.counts()
        counts["absent"] += len(self._orphans)
        if self.manifest is not None:
            counts.update(self.manifest.counts())
        if self.live is not None:
            counts.update(self.live.counts())
        return counts


def page_layers() -> Layers:
    """Return the layers for a page: each reused while its checks are recent enough.

    The sources are re-checked after ``RECHECK_SECONDS``; a remote storage's listing is reused
    for ``REMOTE_MAX_AGE`` (pages say how old it is, and "Re-check now" takes it again).
    """
    inventory = recent_inventory()
    max_age = page_max_age()
    manifest = get_manifest_report(inventory, max_age=max_age)
    live = get_live_report(inventory, manifest, max_age=max_age)
    global _last_page_layers
    last = _last_page_layers
    # The same reports give the same object back: its rows and counts are computed once.
    if (
        last is not None
        and last.inventory is inventory
        and last.manifest is manifest
        and last.live is live
    ):
        return last
    _last_page_layers = Layers(inventory, manifest, live)
    return _last_page_layers


_last_page_layers: Layers | None = None


@dataclass(frozen=True)
class CommandInputs:
    """Everything the CLI's layers are computed from, read once at the start of a run."""

    sources: SourceCheck
    storage: Any
    storage_error: str | None
    # None where the layers need no listing (no storage; --no-live with an unreadable manifest).
    snapshot: Snapshot | None
    # (text or None, read error) for a manifest storage; None for any other storage.
    manifest_text: tuple[str | None, str | None] | None
    live: bool

    def signature(self, extra: object = ()) -> str | None:
        """Return a digest of every input the CLI's answer depends on, or None if some input
        cannot be proven unchanged by it.

        Proven means: every source file and every collected file by its stamp (path, size,
        mtime, inode, as the fingerprint cache trusts them) and none changed within the last
        clock tick; every folder listing by its contents; the manifest by its bytes; the
        settings, Python, Django and the code of the inspector, the storage and the finders.
        Remote storages (no stamps) and custom finders (their ``find()`` answers depend on
        anything) are never proven.
        """
        snapshot, check = self.snapshot, self.sources
        if self.storage is None or is_remote(self.storage):
            return None
        if snapshot is None or not snapshot.local or snapshot.racy or check.racy:
            return None
        if any(listing.source.kind == "finder" for listing in check.listings):
            return None
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(_environment(self.storage).encode())
        digest.update(repr((extra, self.live, self.storage_error)).encode())
        for listing in check.listings:
            # A listed file's served path and location follow from its source and relative
            # name; the stamps are in listing order.
            digest.update(repr((listing.source, listing.errors)).encode())
            digest.update(_joined(map(_RELATIVE, listing.files)))
            digest.update(bytes(map(_COLLECTABLE, listing.files)))
        digest.update(repr(check.problems).encode())
        digest.update(_stamp_bytes(check.stamps.values()))
        digest.update(repr(snapshot.errors).encode())
        digest.update(_joined(snapshot.files))
        digest.update(_stamp_bytes(map(_STAMP, snapshot.files.values())))
        if self.manifest_text is not None:
            text, error = self.manifest_text
            digest.update(repr((text is None, error)).encode())
            digest.update((text or "").encode("utf-8", "surrogateescape"))
        return digest.hexdigest()


def command_inputs(*, live: bool = True) -> CommandInputs:
    """Check the sources, read the manifest and list the collected storage, once."""
    sources = check_sources()
    storage, error = collected_storage()
    manifest_text = None
    if storage is not None and isinstance(storage, ManifestFilesMixin):
        manifest_text = read_manifest_text(storage)
    wanted = storage is not None and (live or (manifest_text and manifest_text[1] is None))
    snapshot = snapshot_of(storage) if wanted else None
    return CommandInputs(sources, storage, error, snapshot, manifest_text, live)


def command_layers(*, live: bool = True, inputs: CommandInputs | None = None) -> Layers:
    """Return freshly checked layers, as the CLI wants them: nothing older than this call.

    ``inputs`` (from ``command_inputs()``) are used as they are, so the layers describe
    exactly what was read then.
    """
    if inputs is None:
        inputs = command_inputs(live=live)
    inventory = inventory_from(inputs.sources)
    manifest = get_manifest_report(
        inventory, snapshot=inputs.snapshot, manifest_text=inputs.manifest_text
    )
    report = None
    if live:
        report = get_live_report(inventory, manifest, snapshot=inputs.snapshot)
    return Layers(inventory, manifest, report)


# --- what a CLI answer depends on beyond the files -------------------------------------------

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _environment(storage: Any) -> str:
    """Return the settings, versions and code stamps an answer depends on, as text."""
    # Reading every setting reads the deprecated ones too: their warnings are not the user's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        values = {name: getattr(settings, name, None) for name in dir(settings) if name.isupper()}
    classes = [type(storage), *(type(f) for _, f in configured_finders())]
    modules = {cls.__module__ for klass in classes for cls in getattr(klass, "__mro__", (klass,))}
    code = [__file__, *(getattr(sys.modules.get(m), "__file__", None) or "" for m in modules)]
    package = os.path.dirname(__file__)
    code += [
        os.path.join(folder, name)
        for folder in (package, os.path.join(package, "management", "commands"))
        for name in sorted(os.listdir(folder))
        if name.endswith(".py")
    ]
    stamps = []
    for path in sorted(set(code)):
        try:
            stamps.append(tuple(FileStamp.of(path)))
        except OSError:
            stamps.append((path,))
    # Default reprs carry addresses that differ per process: they would only cost a miss.
    text = repr((sys.version, django.get_version(), sorted(values.items()), stamps))
    return _ADDRESS.sub("", text)


# Field getters that run in C: the signature reads tens of thousands of tuples.
_RELATIVE, _COLLECTABLE, _STAMP = itemgetter(1), itemgetter(3), itemgetter(2)
_SIZE, _MTIME, _INODE = itemgetter(1), itemgetter(2), itemgetter(3)
_NO_STAMP = FileStamp("", -1, -1, 0)


def _joined(texts: Iterable[str]) -> bytes:
    return "\0".join(texts).encode("utf-8", "surrogateescape")


def _stamp_bytes(stamps: Iterable[FileStamp | None]) -> bytes:
    """Return sizes, mtimes and inodes of ``stamps`` as packed integers (missing: -1)."""
    listed = [s or _NO_STAMP for s in stamps]
    sizes = array("q", map(_SIZE, listed))
    mtimes = array("q", map(_MTIME, listed))
    inodes = array("Q", map(_INODE, listed))
    return sizes.tobytes() + mtimes.tobytes() + inodes.tobytes()


# --- the CLI's kept answer ---------------------------------------------------------------------


class _Recorder:
    """Stands in for an ``OutputWrapper``: writes through, and keeps every call for a replay."""

    def __init__(self, target: OutputWrapper, stream: int, calls: list[_Call]) -> None:
        self._target, self._stream, self._calls = target, stream, calls

    def write(self, msg: str = "", style_func: Any = None, ending: str | None = None) -> None:
        self._calls.append((self._stream, msg, ending))
        self._target.write(msg, style_func, ending)


_Call = tuple[int, str, str | None]  # (0 for stdout or 1 for stderr, message, ending)


class KeptAnswer:
    """What one CLI run wrote and how it ended, kept in the shared cache under the signature
    of its inputs (``CommandInputs.signature``): a run on the same inputs replays it.

    One answer is kept (the last), so the cache holds one CLI answer at a time.
    """

    def __init__(self, signature: str | None) -> None:
        self.signature = signature
        self.calls: list[_Call] = []
        self.error: tuple[str, int] | None = None
        self._loading: threading.Thread | None = None
        self._loaded: list[object] = []

    @classmethod
    def fetch(cls) -> KeptAnswer | None:
        """Start loading the kept answer, if there is a shared cache to keep one in.

        The load (a large value to decompress) runs while the caller checks the files, on the
        other core; ``replay`` waits for it.
        """
        storage, _ = collected_storage()
        if shared_cache() is None or storage is None or is_remote(storage):
            return None  # nothing to keep an answer in, or inputs a signature cannot prove
        kept = cls(None)

        def load() -> None:
            cache = shared_cache()
            with contextlib.suppress(Exception):  # a broken cache only costs the full run
                kept._loaded.append(cache.get(CLI_ANSWER_KEY) if cache is not None else None)

        kept._loading = threading.Thread(target=load, name="inspector-answer", daemon=True)
        kept._loading.start()
        return kept

    def replay(self, signature: str | None, stdout: OutputWrapper, stderr: OutputWrapper) -> bool:
        """Write the kept answer if it was kept for ``signature``; return whether it was."""
        if signature is None or self._loading is None:
            return False
        cache = shared_cache()
        try:
            if cache is None or cache.get(CLI_SIGNATURE_KEY) != signature:
                return False
        except Exception:
            return False
        self._loading.join()
        value = self._loaded[0] if self._loaded else None
        # The value carries its own signature: two runs keeping answers at once cannot mix them.
        if not isinstance(value, tuple) or len(value) != 3 or value[0] != signature:
            return False
        streams = (stdout, stderr)
        for stream, msg, ending in value[1]:
            streams[stream].write(msg, ending=ending)
        if value[2] is not None:
            from django.core.management.base import CommandError

            raise CommandError(value[2][0], returncode=value[2][1])
        return True

    def recorders(self, stdout: OutputWrapper, stderr: OutputWrapper) -> tuple[_Recorder, ...]:
        """Return stand-ins for the command's two streams that record into this answer."""
        return _Recorder(stdout, 0, self.calls), _Recorder(stderr, 1, self.calls)

    def keep(self) -> None:
        """Keep this answer for the next run on the same inputs (if they could be signed)."""
        cache = shared_cache()
        if self.signature is None or cache is None:
            return
        timeout = get_config()["CACHE_TIMEOUT"]
        # Too large for the backend (memcached's 1 MB) or a cache that is down: not kept.
        with contextlib.suppress(Exception):
            cache.set(CLI_ANSWER_KEY, (self.signature, self.calls, self.error), timeout)
            cache.set(CLI_SIGNATURE_KEY, self.signature, timeout)
