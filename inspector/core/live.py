"""The live layer: the sources as they are now against what the collected storage holds.

Per static path (design.md): ``current``, ``modified`` (the collected copy's bytes differ from
the file collectstatic would take), ``missing`` (not collected), ``orphaned`` (collected, but no
source has it), ``unknown`` (could not be compared; the entry says why). Bytes are compared by
md5: local copies through the fingerprint cache, S3 objects through the ETag their listing
carries. Where a listing has no usable md5 (multipart uploads, gzipped objects, storages without
a fast listing) collected copies are read, up to ``LIVE_READ_MAX_BYTES`` and ``TIMEOUT``, and the
rest are reported ``unknown``. Nothing here writes to any storage.

Names the manifest layer accounts for (hashed copies, old hashed versions, compressed variants,
the manifest itself) are not orphans: the manifest layer reports them.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from django.core.files.storage import Storage

from ..conf import get_config
from . import fingerprints
from .fingerprints import FileStamp
from .manifest.report import ManifestReport
from .manifest.variants import strip_compression
from .records import Inventory, PathRecord
from .status import LiveStatus
from .storage.instance import configured_class, describe, is_remote
from .storage.listing import Snapshot, StoredFile, gunzipped, read_bytes

__all__ = ["LiveEntry", "LiveReport", "build_live_report"]


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """What the collected storage holds for one path, against its source."""

    path: str
    status: LiveStatus
    stored_name: str | None = None
    stored_size: int | None = None
    note: str = ""


@dataclass(frozen=True)
class LiveReport:
    """Every path's live status, for one listing of the collected storage."""

    storage_class: str
    location: str
    remote: bool
    # When the listing was taken (time.time()), and how long it took.
    checked_at: float
    listing_seconds: float
    file_count: int
    problems: tuple[str, ...] = ()
    # Collected copies read because their listing carried no usable md5.
    reads: int = 0
    orphans: tuple[str, ...] = ()
    _entries: dict[str, LiveEntry] = field(default_factory=dict, repr=False, compare=False)
    _storage: Storage | None = field(default=None, repr=False, compare=False)
    _snapshot: Snapshot | None = field(default=None, repr=False, compare=False)

    @cached_property
    def checked(self) -> bool:
        """Return True if the storage could be listed (some paths may still be unknown)."""
        return bool(self._entries) and not all(
            e.status == LiveStatus.UNKNOWN for e in self._entries.values()
        )

    def entry(self, path: str) -> LiveEntry:
        found = self._entries.get(path)
        if found is None:
            return LiveEntry(path, LiveStatus.UNKNOWN, note="not checked")
        return found

    def status_of(self, path: str) -> LiveStatus | None:
        found = self._entries.get(path)
        return None if found is None else found.status

    def counts(self) -> Counter[str]:
        return Counter(str(e.status) for e in self._entries.values())

    @property
    def storage(self) -> Storage | None:
        """The inspector's own instance of the collected storage (None if it could not be made)."""
        return self._storage

    @property
    def snapshot(self) -> Snapshot | None:
        """The listing this report compared against (None if the storage could not be made)."""
        return self._snapshot

    def stored_md5(self, name: str) -> tuple[str | None, int | None] | None:
        """Return (md5 if known cheaply, size) of a stored name; None if the listing lacks it."""
        stored = self._snapshot.files.get(name) if self._snapshot is not None else None
        if stored is None:
            return None
        if stored.stamp is not None:
            try:
                return fingerprints.md5(stored.stamp), stored.size
            except OSError:
                return None, stored.size
        gzipped = bool(getattr(self._storage, "gzip", False))
        return (None if gzipped else stored.listed_md5), (None if gzipped else stored.size)

    def read_collected(self, path: str, max_bytes: int) -> bytes | None:
        """Return the collected copy of ``path`` (None if there is none or it is too large).

        Only names this report listed are opened: never a name taken from a request.
        """
        found = self._entries.get(path)
        if found is None or found.stored_name is None or self._storage is None:
            return None
        stored = self._snapshot.files.get(found.stored_name) if self._snapshot else None
        if stored is None or (stored.size is not None and stored.size > max_bytes):
            return None
        data = read_bytes(self._storage, stored)
        return gunzipped(self._storage, data)


def build_live_report(
    inventory: Inventory,
    manifest: ManifestReport,
    storage: Storage | None,
    storage_error: str | None,
    snapshot: Snapshot,
) -> LiveReport:
    """Return the live status of every path of ``inventory`` against one listing.

    Never raises for a storage that is down, slow or misconfigured: every path is then
    ``unknown`` and ``problems`` says why.
    """
    if storage is None:
        return _unknown_for_all(inventory, "", "", False, [str(storage_error)])
    return _compare(inventory, manifest, storage, snapshot)


def _unknown_for_all(
    inventory: Inventory, backend: str, location: str, remote: bool, problems: list[str]
) -> LiveReport:
    note = "not checked: " + problems[0]
    return LiveReport(
        backend,
        location,
        remote,
        checked_at=time.time(),
        listing_seconds=0.0,
        file_count=0,
        problems=tuple(problems),
        _entries={r.path: LiveEntry(r.path, LiveStatus.UNKNOWN, note=note) for r in inventory},
    )


# --- comparing ---------------------------------------------------------------------------------


@dataclass
class _Pending:
    """Paths whose stored size matches and whose bytes decide."""

    by_digest: list[tuple[PathRecord, FileStamp, StoredFile]] = field(default_factory=list)
    by_reading: list[tuple[PathRecord, FileStamp, StoredFile]] = field(default_factory=list)


def _compare(
    inventory: Inventory, manifest: ManifestReport, storage: Storage, snapshot: Snapshot
) -> LiveReport:
    cls = configured_class(storage)
    backend = f"{cls.__module__}.{cls.__name__}"
    location, remote = describe(storage), is_remote(storage)
    problems = list(snapshot.errors)
    problems.extend(
        f"{name!r} is a symlink to {target!r}, outside {location} and every source folder: "
        "not inspected, never read"
        for name, target in sorted(snapshot.refused.items())
    )
    if snapshot.errors and not snapshot.files:
        return _unknown_for_all(inventory, backend, location, remote, problems)
    partial = bool(snapshot.errors)
    gzipped = bool(getattr(storage, "gzip", False))
    entries: dict[str, LiveEntry] = {}
    pending = _Pending()
    for record in inventory:
        entry = _judge_without_bytes(record, snapshot, partial, gzipped, pending)
        if entry is not None:
            entries[record.path] = entry
    entries.update(_judge_by_digest(pending.by_digest))
    read_entries, reads = _judge_by_reading(storage, pending.by_reading)
    entries.update(read_entries)
    if reads.skipped:
        problems.append(
            f"{reads.skipped} collected copies could not be compared: their listing gives no md5 "
            f"(multipart uploads or gzipped objects) and reading them would pass "
            f"LIVE_READ_MAX_BYTES or TIMEOUT"
        )
    orphans = _orphans(inventory, manifest, snapshot)
    for name in orphans:
        stored = snapshot.files[name]
        entries[name] = LiveEntry(
            name,
            LiveStatus.ORPHANED,
            name,
            stored.size,
            "collected, but no source has it any more",
        )
    return LiveReport(
        backend,
        location,
        remote,
        checked_at=snapshot.taken_at,
        listing_seconds=snapshot.duration,
        file_count=len(snapshot.files),
        problems=tuple(problems),
        reads=reads.done,
        orphans=tuple(orphans),
        _entries=entries,
        _storage=storage,
        _snapshot=snapshot,
    )


def _judge_without_bytes(
    record: PathRecord, snapshot: Snapshot, partial: bool, gzipped: bool, pending: _Pending
) -> LiveEntry | None:
    """Decide what the listing alone decides; queue the rest in ``pending``."""
    path = record.path
    stored = snapshot.files.get(path)
    if stored is None:
        if partial:
            return LiveEntry(path, LiveStatus.UNKNOWN, note="not in a partial listing")
        if record.collect_winner is None:
            note = "collectstatic ignores it, so it is never collected"
        else:
            note = "not collected yet: run collectstatic"
        return LiveEntry(path, LiveStatus.MISSING, note=note)
    source = record.collect_winner or record.winner
    if source is None or source.stamp is None:
        return LiveEntry(
            path,
            LiveStatus.UNKNOWN,
            path,
            stored.size,
            "the file collectstatic takes is not a local file: not compared",
        )
    if not gzipped and stored.size is not None and stored.size != source.size:
        return LiveEntry(
            path,
            LiveStatus.MODIFIED,
            path,
            stored.size,
            f"sizes differ: the source has {source.size:,} bytes, the collected copy "
            f"{stored.size:,}",
        )
    if not gzipped and (stored.stamp is not None or stored.listed_md5 is not None):
        pending.by_digest.append((record, source.stamp, stored))
    else:
        pending.by_reading.append((record, source.stamp, stored))
    return None


def _judge_by_digest(
    pending: list[tuple[PathRecord, FileStamp, StoredFile]],
) -> dict[str, LiveEntry]:
    stamps: list[FileStamp] = [source for _, source, _ in pending]
    stamps += [stored.stamp for _, _, stored in pending if stored.stamp is not None]
    digests = fingerprints.md5_many(stamps)
    entries = {}
    for record, source, stored in pending:
        ours = digests.get(source)
        theirs: str | OSError | None = (
            digests.get(stored.stamp) if stored.stamp is not None else stored.listed_md5
        )
        entries[record.path] = _verdict(record.path, stored, ours, theirs)
    return entries


def _verdict(
    path: str, stored: StoredFile, ours: str | OSError | None, theirs: str | OSError | None
) -> LiveEntry:
    if isinstance(ours, OSError) or ours is None:
        why = ours if isinstance(ours, OSError) else "no digest"
        return LiveEntry(
            path, LiveStatus.UNKNOWN, path, stored.size, f"cannot read the source: {why}"
        )
    if isinstance(theirs, OSError) or theirs is None:
        why = theirs if isinstance(theirs, OSError) else "no digest"
        return LiveEntry(
            path, LiveStatus.UNKNOWN, path, stored.size, f"cannot read the collected copy: {why}"
        )
    if ours == theirs:
        return LiveEntry(path, LiveStatus.CURRENT, path, stored.size, "same bytes")
    return LiveEntry(
        path, LiveStatus.MODIFIED, path, stored.size, "same size, other bytes (md5 differs)"
    )


@dataclass
class _Reads:
    done: int = 0
    skipped: int = 0


def _judge_by_reading(
    storage: Storage, pending: list[tuple[PathRecord, FileStamp, StoredFile]]
) -> tuple[dict[str, LiveEntry], _Reads]:
    config = get_config()
    budget = int(config["LIVE_READ_MAX_BYTES"])
    deadline = time.monotonic() + float(config["TIMEOUT"])
    reads = _Reads()
    entries: dict[str, LiveEntry] = {}
    digests = fingerprints.md5_many(source for _, source, _ in pending)
    for record, source, stored in pending:
        size = stored.size or 0
        if size > budget or time.monotonic() > deadline:
            reads.skipped += 1
            entries[record.path] = LiveEntry(
                record.path,
                LiveStatus.UNKNOWN,
                record.path,
                stored.size,
                "its listing gives no md5 (multipart upload or gzipped object) and the read "
                "budget is spent: not compared",
            )
            continue
        budget -= size
        reads.done += 1
        try:
            data = gunzipped(storage, read_bytes(storage, stored))
        except Exception as exc:  # backend errors of any kind
            entries[record.path] = _verdict(record.path, stored, digests.get(source), OSError(exc))
            continue
        theirs = hashlib.md5(data, usedforsecurity=False).hexdigest()
        entry = _verdict(record.path, stored, digests.get(source), theirs)
        note = f"{entry.note} (compared by reading the copy: its listing gives no md5)"
        entries[record.path] = LiveEntry(
            entry.path, entry.status, entry.stored_name, len(data), note
        )
    return entries, reads


def _orphans(inventory: Inventory, manifest: ManifestReport, snapshot: Snapshot) -> list[str]:
    """Return the stored names that no source has and no manifest accounts for, sorted."""
    known = {record.path for record in inventory}
    if manifest.applicable:
        known |= manifest.accounted_names()
    found = []
    for name in snapshot.files:
        if name in known:
            continue
        base, suffix = strip_compression(name)
        if suffix and base in known:
            continue  # a compressed variant: the manifest layer checks those
        found.append(name)
    return sorted(found)
