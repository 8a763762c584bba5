"""Releases: the release-specific manifest pattern, one ``staticfiles.json`` per release folder.

A manifest storage whose ``manifest_storage`` is a folder ``<location>/<release_id>`` of its own
storage (on disk or in S3; the id from a ``release_id`` option or a function such as the git
hash) keeps each release's manifest beside the others, while the hashed files they all name
share the storage. The configured release is the one ``{% static %}`` serves now; the sibling
folders holding a manifest are the releases a rollback can point at. They are found in the one
listing of the storage the layers take anyway (never a request per folder), and each sibling
manifest is read once per version of it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.files.storage import FileSystemStorage, Storage

from .. import caches
from ..fingerprints import FileStamp, read_recorded
from ..status import ReleaseChange, ReleaseStatus
from ..storage.instance import ManifestStorage, as_s3
from ..storage.listing import Snapshot, StoredFile, gunzipped, read_bytes
from .reading import ManifestText, ParsedManifest, parse_manifest

__all__ = [
    "PathChange",
    "Release",
    "ReleaseLayout",
    "compare_releases",
    "find_releases",
    "manifest_name_in_storage",
    "release_layout",
]


@dataclass(frozen=True, slots=True)
class ReleaseLayout:
    """Where a storage keeps its releases' manifests.

    ``parent`` is the folder (a storage name, ``""`` or ending in ``/``) holding the release
    folders when they are ``inside`` the staticfiles storage; ``parent_path`` is that folder on
    disk when the manifests live in a folder of their own outside it.
    """

    configured: str
    manifest_name: str
    inside: bool
    parent: str = ""
    parent_path: str | None = None

    @property
    def configured_name(self) -> str:
        """Return the storage name of the configured release's manifest (``inside`` only)."""
        return f"{self.parent}{self.configured}/{self.manifest_name}"

    def release_of(self, name: str) -> str | None:
        """Return the release whose manifest the storage name ``name`` is, or None."""
        if not name.startswith(self.parent):
            return None
        release, slash, rest = name[len(self.parent) :].partition("/")
        return release if slash and release and rest == self.manifest_name else None


def _relative_location(storage: object, target: object) -> str | None:
    """Return where ``target`` keeps files relative to ``storage`` ("" for the same place), or
    None if it is not inside it (another folder, bucket or kind of storage)."""
    if isinstance(storage, FileSystemStorage) and isinstance(target, FileSystemStorage):
        base = os.path.realpath(storage.location)
        relative = os.path.relpath(os.path.realpath(target.location), base)
        if relative == os.curdir:
            return ""
        return None if relative.split(os.sep)[0] == os.pardir else relative.replace(os.sep, "/")
    own, theirs = as_s3(storage), as_s3(target)
    if own is None or theirs is None or own.bucket_name != theirs.bucket_name:
        return None
    base, location = str(own.location or "").strip("/"), str(theirs.location or "").strip("/")
    if location == base:
        return ""
    prefix = f"{base}/" if base else ""
    return location[len(prefix) :] if location.startswith(prefix) else None


def release_layout(hashing: ManifestStorage) -> ReleaseLayout | None:
    """Return how ``hashing`` keeps its releases' manifests; None if its manifest is its own."""
    target: object = hashing.manifest_storage
    if target is cast(object, hashing):
        return None
    name = hashing.manifest_name
    relative = _relative_location(hashing, target)
    if relative == "":
        return None  # another instance of the same place: the plain pattern
    if relative is not None:
        parent, _, release = relative.rpartition("/")
        return ReleaseLayout(release, name, True, parent=f"{parent}/" if parent else "")
    if isinstance(target, FileSystemStorage):
        folder = os.path.realpath(target.location)
        return ReleaseLayout(
            os.path.basename(folder), name, False, parent_path=os.path.dirname(folder)
        )
    s3 = as_s3(target)
    location = str(s3.location or "").strip("/") if s3 is not None else ""
    return ReleaseLayout(location.rpartition("/")[2] or "(manifest storage)", name, False)


def manifest_name_in_storage(hashing: ManifestStorage) -> str | None:
    """Return the storage name of the configured manifest; None if it lives outside the storage."""
    if hashing.manifest_storage is cast(object, hashing):
        return hashing.manifest_name
    layout = release_layout(hashing)
    if layout is None:
        return hashing.manifest_name
    return layout.configured_name if layout.inside else None


@dataclass(frozen=True)
class Release:
    """One release: its manifest, how many entries it has, and whether a rollback to it works."""

    id: str
    manifest: str  # its manifest: a storage name (inside the storage) or a path on disk
    configured: bool
    stored_at: float | None  # when its manifest was written (time.time() seconds)
    entries: int
    # Hashed names its manifest points at that the storage does not have (sorted).
    missing: tuple[str, ...]
    status: ReleaseStatus
    note: str
    paths: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)


def find_releases(
    layout: ReleaseLayout,
    storage: Storage,
    snapshot: Snapshot,
    configured: ManifestText,
) -> tuple[Release, ...]:
    """Return the configured release and every sibling release folder holding a manifest,
    newest first. ``configured`` is the configured manifest as the layers read it."""
    releases: list[Release] = []
    stored_at = None
    if layout.inside:
        own = snapshot.files.get(layout.configured_name)
        stored_at = own.modified if own is not None else None
        suffix = "/" + layout.manifest_name
        for name, stored in snapshot.files.items():
            if not name.endswith(suffix):
                continue
            release = layout.release_of(name)
            if release is None or release == layout.configured:
                continue
            parsed = _read_stored(storage, stored)
            releases.append(_release(release, name, False, stored.modified, parsed, snapshot))
    elif layout.parent_path is not None:
        for release, path, stamp in _local_siblings(layout):
            if release == layout.configured:
                stored_at = stamp.mtime_ns / 1e9
                continue
            parsed = _read_local(stamp)
            releases.append(_release(release, path, False, stamp.mtime_ns / 1e9, parsed, snapshot))
    where = layout.configured_name if layout.inside else configured_location(layout)
    if configured.error:
        parsed = ParsedManifest(problem=configured.error)
    elif configured.parsed is None:
        parsed = ParsedManifest(problem="no manifest yet: collectstatic has not run for it")
    else:
        parsed = configured.parsed
    releases.append(_release(layout.configured, where, True, stored_at, parsed, snapshot))
    return tuple(sorted(releases, key=lambda r: (-(r.stored_at or 0.0), not r.configured, r.id)))


def configured_location(layout: ReleaseLayout) -> str:
    if layout.parent_path is not None:
        return os.path.join(layout.parent_path, layout.configured, layout.manifest_name)
    return f"{layout.configured}/{layout.manifest_name}"


def _release(
    release: str,
    manifest: str,
    configured: bool,
    stored_at: float | None,
    parsed: ParsedManifest,
    snapshot: Snapshot,
) -> Release:
    if parsed.problem:
        status, note = ReleaseStatus.UNREADABLE, parsed.problem
        return Release(release, manifest, configured, stored_at, 0, (), status, note)
    missing = tuple(sorted({h for h in parsed.paths.values() if h not in snapshot.files}))
    if missing:
        status = ReleaseStatus.FILES_MISSING
        note = (
            f"{len(missing)} hashed file{'s' if len(missing) != 1 else ''} its manifest names "
            "are not in the storage: with this release, {% static %} gives URLs that are not "
            "found (a rollback to it breaks those pages)"
        )
    else:
        status, note = ReleaseStatus.OK, ""
    return Release(
        release,
        manifest,
        configured,
        stored_at,
        len(parsed.paths),
        missing,
        status,
        note,
        parsed.paths,
    )


def _local_siblings(layout: ReleaseLayout) -> Iterable[tuple[str, str, FileStamp]]:
    """Yield (release, manifest path, stamp) for each folder beside the configured one that
    holds a manifest (a manifest folder outside the staticfiles storage, on disk)."""
    assert layout.parent_path is not None
    try:
        entries = list(os.scandir(layout.parent_path))
    except OSError:
        return
    for entry in entries:
        path = os.path.join(entry.path, layout.manifest_name)
        try:
            if entry.is_dir():
                yield entry.name, path, FileStamp.of(path)
        except OSError:
            continue  # a folder without a manifest is not a release


# --- reading sibling manifests, once per version -------------------------------------------------

_parsed: dict[tuple[Any, ...], ParsedManifest] = {}
_parsed_lock = threading.Lock()


def _forget() -> None:
    with _parsed_lock:
        _parsed.clear()


caches.register(
    "release-manifests",
    _forget,
    fresh_while="the manifest's stamp (local) or its listed ETag and size (remote) is unchanged",
)


def _read_stored(storage: Storage, stored: StoredFile) -> ParsedManifest:
    if stored.stamp is not None:
        key: tuple[Any, ...] | None = ("stamp", stored.stamp)
    elif stored.listed_md5 is not None:
        key = ("etag", stored.name, stored.listed_md5, stored.size)
    else:
        key = None  # nothing names this version: read it every time
    if key is not None and (found := _parsed.get(key)) is not None:
        return found
    try:
        raw = gunzipped(storage, read_bytes(storage, stored)).decode("utf-8")
    except Exception as exc:  # unreadable bytes, permissions, network
        return ParsedManifest(problem=f"cannot read its manifest: {exc}")
    parsed = parse_manifest(raw)
    if key is not None and not (stored.stamp is not None and stored.stamp.is_racy()):
        with _parsed_lock:
            _parsed[key] = parsed
    return parsed


def _read_local(stamp: FileStamp) -> ParsedManifest:
    key = ("stamp", stamp)
    if (found := _parsed.get(key)) is not None:
        return found
    try:  # the very file stat'ed, as it was: the parsed manifest is kept under its stamp
        parsed = parse_manifest(read_recorded(stamp).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return ParsedManifest(problem=f"cannot read its manifest: {exc}")
    if not stamp.is_racy():
        with _parsed_lock:
            _parsed[key] = parsed
    return parsed


# --- comparing two releases ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathChange:
    """How one path's manifest entry differs between two releases (hashed names; None: absent)."""

    path: str
    change: ReleaseChange
    before: str | None
    after: str | None


def compare_releases(before: Release, after: Release) -> list[PathChange]:
    """Return every path added, removed or renamed (another hashed name) from ``before`` to
    ``after``, sorted by path."""
    old, new = before.paths, after.paths
    changes = []
    for path in sorted(old.keys() | new.keys()):
        was, now = old.get(path), new.get(path)
        if was == now:
            continue
        if was is None:
            change = ReleaseChange.ADDED
        elif now is None:
            change = ReleaseChange.REMOVED
        else:
            change = ReleaseChange.CHANGED
        changes.append(PathChange(path, change, was, now))
    return changes
