"""The live layer: the sources as they are now against what the collected storage holds.

Per static path (design.md): ``current``, ``modified`` (the collected copy's bytes differ from
the file collectstatic would take), ``missing`` (not collected), ``orphaned`` (collected, but no
source has it), ``unknown`` (could not be compared; the entry says why). Bytes are compared by
md5: local copies through the fingerprint cache, S3 objects through the ETag their listing
carries. Where a listing has no usable md5 (multipart uploads, gzipped objects, storages without
a fast listing) collected copies are read, up to ``LIVE_READ_MAX_BYTES`` and ``TIMEOUT``, and the
rest are reported ``unknown``. Nothing here writes to any storage.

A storage that keeps only hashed files (``WHITENOISE_KEEP_ONLY_HASHED_FILES``) deletes the
unhashed copies on purpose: there, a path is compared with the hashed copy its manifest entry
names (``manifest.copies``).

Names the manifest layer accounts for (hashed copies, old hashed versions, compressed variants,
the manifest itself) are not orphans: the manifest layer reports them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import filterfalse

from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import Storage

from ..conf import get_config
from . import fingerprints
from .fingerprints import FileStamp
from .live_report import LiveEntry, LiveReport
from .manifest.copies import is_collected_text
from .manifest.expected import SourceFile
from .manifest.naming import is_adjustable
from .manifest.report import ManifestReport
from .manifest.variants import strip_compression
from .records import Inventory, PathRecord
from .status import LiveStatus, ManifestStatus
from .storage.instance import (
    ManifestStorage,
    as_manifest_storage,
    configured_class,
    describe,
    is_remote,
    keeps_only_hashed,
)
from .storage.listing import Snapshot, StoredFile, gunzipped, read_bytes

__all__ = ["LiveEntry", "LiveReport", "build_live_report", "copies_to_compare"]


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


def copies_to_compare(inventory: Inventory, snapshot: Snapshot) -> Iterator[FileStamp]:
    """Yield the stamp of every local collected copy whose size is its source's: what the
    live report hashes to compare them."""
    files = snapshot.files
    for record in inventory:
        stored = files.get(record.path)
        if stored is None or stored.stamp is None:
            continue
        source = record.collect_winner or record.winner
        if source is not None and source.stamp is not None and stored.size == source.size:
            yield stored.stamp


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
    # CSS/JS whose hashed copy holds their rewritten text (a storage keeping only hashed files).
    rewritten: list[tuple[PathRecord, FileStamp, StoredFile]] = field(default_factory=list)


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
    hashed_only = _hashed_only(storage, manifest)
    for record in inventory:
        stored = snapshot.files.get(record.path)
        if stored is None and hashed_only is not None and record.collect_winner is not None:
            entry = _judge_hashed_copy(record, hashed_only, snapshot, partial, gzipped, pending)
        else:
            entry = _judge_without_bytes(record, stored, partial, gzipped, pending)
        if entry is not None:
            entries[record.path] = entry
    entries.update(_judge_by_digest(pending.by_digest))
    read_entries, reads = _judge_by_reading(storage, pending.by_reading)
    entries.update(read_entries)
    if hashed_only is not None:
        entries.update(_judge_rewritten(hashed_only, inventory, storage, pending.rewritten))
    if reads.skipped:
        problems.append(
            f"{reads.skipped} collected copies could not be compared: their listing gives no md5 "
            f"(multipart uploads or gzipped objects) and reading them would pass "
            f"LIVE_READ_MAX_BYTES or TIMEOUT"
        )
    orphans = _orphans(inventory, manifest, snapshot, hashed_only)
    for name, stored in orphans.items():
        note = "collected, but no source has it any more"
        if stored.name != name:
            note = "collected as its hashed copy (the only one kept), but no source has it any more"
        entries[name] = LiveEntry(name, LiveStatus.ORPHANED, stored.name, stored.size, note)
    return LiveReport(
        backend,
        location,
        remote,
        checked_at=snapshot.taken_at,
        listing_seconds=snapshot.duration,
        file_count=len(snapshot.files),
        problems=tuple(problems),
        reads=reads.done,
        orphans=tuple(sorted(orphans)),
        _entries=entries,
        _storage=storage,
        _snapshot=snapshot,
    )


def _judge_without_bytes(
    record: PathRecord,
    stored: StoredFile | None,
    partial: bool,
    gzipped: bool,
    pending: _Pending,
) -> LiveEntry | None:
    """Decide what the listing alone decides about ``stored`` (the copy of ``record`` that
    production serves); queue the rest in ``pending``."""
    path = record.path
    if stored is None:
        if partial:
            return LiveEntry(path, LiveStatus.UNKNOWN, note="not in a partial listing")
        if record.collect_winner is None:
            note = "collectstatic ignores it, so it is never collected"
        else:
            note = "not collected yet: run collectstatic"
        return LiveEntry(path, LiveStatus.MISSING, note=note)
    source = record.collect_winner or record.winner
    stamp = source.stamp if source is not None else None
    if stamp is None:
        return LiveEntry(
            path,
            LiveStatus.UNKNOWN,
            stored.name,
            stored.size,
            "the file collectstatic takes is not a local file: not compared",
        )
    if not gzipped and stored.size is not None and stored.size != stamp.size:
        return LiveEntry(
            path,
            LiveStatus.MODIFIED,
            stored.name,
            stored.size,
            f"sizes differ: the source has {stamp.size:,} bytes, the collected copy "
            f"{stored.size:,}",
        )
    if not gzipped and (stored.stamp is not None or stored.listed_md5 is not None):
        pending.by_digest.append((record, stamp, stored))
    else:
        pending.by_reading.append((record, stamp, stored))
    return None


@dataclass(frozen=True, slots=True)
class _HashedOnly:
    """What comparing with hashed copies needs: the manifest storage, its names and report."""

    storage: ManifestStorage
    names: Mapping[str, str]
    report: ManifestReport


def _hashed_only(storage: Storage, manifest: ManifestReport) -> _HashedOnly | None:
    """Return how to find hashed copies if ``storage`` keeps only those, else None."""
    hashing = as_manifest_storage(storage)
    if hashing is None or not keeps_only_hashed(storage) or manifest.parsed is None:
        return None
    return _HashedOnly(hashing, manifest.parsed.paths, manifest)


def _judge_hashed_copy(
    record: PathRecord,
    hashed_only: _HashedOnly,
    snapshot: Snapshot,
    partial: bool,
    gzipped: bool,
    pending: _Pending,
) -> LiveEntry | None:
    """Judge ``record`` by the hashed copy its manifest entry names (its unhashed copy is
    deleted on purpose); queue what its bytes decide in ``pending``."""
    path = record.path
    hashed = hashed_only.report.entry(path, url=False).hashed_name
    stored = snapshot.files.get(hashed) if hashed is not None else None
    if stored is None:
        if partial:
            return LiveEntry(path, LiveStatus.UNKNOWN, note="not in a partial listing")
        return LiveEntry(
            path,
            LiveStatus.MISSING,
            note="not collected yet: the storage keeps only hashed copies "
            "(WHITENOISE_KEEP_ONLY_HASHED_FILES) and has none the manifest names for it",
        )
    source = record.collect_winner
    if not is_adjustable(hashed_only.storage, path) or source is None or source.stamp is None:
        return _judge_without_bytes(record, stored, partial, gzipped, pending)
    if hashed_only.report.status_of(path) == ManifestStatus.OK:
        # The manifest layer found this hashed copy to be what collectstatic writes today.
        return LiveEntry(path, LiveStatus.CURRENT, stored.name, stored.size, _REWRITTEN_SAME)
    pending.rewritten.append((record, source.stamp, stored))
    return None


_REWRITTEN_SAME = "its hashed copy is this source with its references rewritten"


def _judge_rewritten(
    hashed_only: _HashedOnly,
    inventory: Inventory,
    storage: Storage,
    pending: list[tuple[PathRecord, FileStamp, StoredFile]],
) -> dict[str, LiveEntry]:
    """Compare CSS/JS sources, rewritten with the manifest's names, with their hashed copies."""
    if not pending:
        return {}
    sources = {
        r.path: SourceFile(r.path, r.collect_winner.stamp)
        for r in inventory
        if r.collect_winner is not None and r.collect_winner.stamp is not None
    }
    entries = {}
    for record, source, stored in pending:
        path, name, size = record.path, stored.name, stored.size
        try:
            data = fingerprints.read_recorded(source)
            copy = gunzipped(storage, read_bytes(storage, stored))
            same = is_collected_text(
                hashed_only.storage, hashed_only.names, sources, path, data, copy
            )
        except (ValueError, SuspiciousOperation) as exc:  # collectstatic fails on it too
            note = f"not compared: its references cannot be rewritten ({exc})"
            entries[path] = LiveEntry(path, LiveStatus.UNKNOWN, name, size, note)
        except Exception as exc:  # an unreadable source, or any backend error
            note = f"cannot read the source or its hashed copy: {exc}"
            entries[path] = LiveEntry(path, LiveStatus.UNKNOWN, name, size, note)
        else:
            status = LiveStatus.CURRENT if same else LiveStatus.MODIFIED
            note = _REWRITTEN_SAME if same else _REWRITTEN_OTHER
            entries[path] = LiveEntry(path, status, name, size, note)
    return entries


_REWRITTEN_OTHER = "its hashed copy is not this source with its references rewritten"


def _judge_by_digest(
    pending: list[tuple[PathRecord, FileStamp, StoredFile]],
) -> dict[str, LiveEntry]:
    """Judge the copies whose bytes decide by their digests and the sources'.

    Most digests are known by now (the copies were sent to be read right after the manifest's
    reads), and most copies are the same bytes: those are judged in the loop, a lookup or two
    a path; ``md5_many`` gets only the rest, waiting for what is still on its way.
    """
    peek = fingerprints.peeker()
    entries: dict[str, LiveEntry] = {}
    unsure: list[tuple[PathRecord, FileStamp, StoredFile]] = []
    for item in pending:
        record, source, stored = item
        ours = peek(source)
        copy = stored.stamp
        theirs = peek(copy) if copy is not None else stored.listed_md5
        if ours is not None and ours == theirs:
            # tuple.__new__: the named tuple's generated __new__ is a Python call, per path.
            entries[record.path] = tuple.__new__(
                LiveEntry, (record.path, LiveStatus.CURRENT, stored.name, stored.size, _SAME)
            )
        else:
            unsure.append(item)
    if unsure:
        entries.update(_judge_unsure(unsure))
    return entries


_SAME = "same bytes"


def _judge_unsure(
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
    name = stored.name
    if isinstance(ours, OSError) or ours is None:
        why = ours if isinstance(ours, OSError) else "no digest"
        return LiveEntry(
            path, LiveStatus.UNKNOWN, name, stored.size, f"cannot read the source: {why}"
        )
    if isinstance(theirs, OSError) or theirs is None:
        why = theirs if isinstance(theirs, OSError) else "no digest"
        return LiveEntry(
            path, LiveStatus.UNKNOWN, name, stored.size, f"cannot read the collected copy: {why}"
        )
    if ours == theirs:
        return LiveEntry(path, LiveStatus.CURRENT, name, stored.size, _SAME)
    return LiveEntry(
        path, LiveStatus.MODIFIED, name, stored.size, "same size, other bytes (md5 differs)"
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
                stored.name,
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


def _orphans(
    inventory: Inventory,
    manifest: ManifestReport,
    snapshot: Snapshot,
    hashed_only: _HashedOnly | None,
) -> dict[str, StoredFile]:
    """Return the paths that no source has and no manifest accounts for, with the copy the
    storage holds: their stored name, or in a storage that keeps only hashed copies the hashed
    copy a manifest entry without a source names (its unhashed copy is deleted on purpose)."""
    accounted = manifest.accounted_names() if manifest.applicable else set()
    # Asked of the inventory as it is: a union of every path and name would be a copy.
    sourced = inventory.known_paths

    def known(name: str) -> bool:
        return name in accounted or name in sourced

    files = snapshot.files
    found = {}
    # Most stored names are accounted for (hashed copies) or a source's: passed over in C.
    for name in filterfalse(sourced.__contains__, filterfalse(accounted.__contains__, files)):
        base, suffix = strip_compression(name)
        if suffix and known(base):
            continue  # a compressed variant: the manifest layer checks those
        found[name] = files[name]
    if hashed_only is not None:
        for path, hashed in hashed_only.names.items():
            if inventory.get(path) is None and path not in found and hashed in snapshot.files:
                found[path] = snapshot.files[hashed]
    return found
