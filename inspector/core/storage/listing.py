"""Listing the collected storage, and reading the files a listing named.

Three adapters behind one ``take_snapshot``, fastest first: an ``os.scandir`` walk for local
folders (``folder``; their stamps let digests be cached by file version), in a hashing process
while this one lists the sources when the project is large (``ListingAhead``), or while Django
loads (``loading``); one paginated ListObjectsV2 over the ``location`` of django-storages' S3
backends (1,000 keys a request, with sizes and ETags, where the Storage API would cost a
ListObjects per folder and then a HEAD and a GET per object); and the Storage API
(``listdir``) for anything else, bounded in files.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeGuard, cast

from django.core.files.storage import FileSystemStorage, Storage

from ...conf import get_config
from .. import fingerprints
from ..bulk import collector_paused
from ..pool import Started, start
from ..reading import LocalFile
from ..sources import source_folders, source_roots
from .folder import Packed, Walked, unpacked, walk, walk_packed
from .instance import S3Storage, as_s3
from .loading import WalkWhileLoading, taken_by


class RemoteFile(NamedTuple):
    """One file of a remote (or any non-local) storage's listing, which has no local stamp."""

    name: str
    size: int | None
    # The md5 a remote listing claims for the bytes (an S3 ETag). A claim only: an ETag is not the
    # md5 for SSE-KMS objects, and some servers differ, so a mismatch must be confirmed by reading.
    listed_md5: str | None = None
    # When a remote listing says the object was last written (time.time() seconds).
    listed_at: float | None = None

    @property
    def stamp(self) -> None:
        """A remote file has no stamp: it is read through its storage."""
        return None

    @property
    def modified(self) -> float | None:
        """Return when the file was last written (time.time() seconds), if the listing says."""
        return self.listed_at


# One file of a listing: ``name``, ``size``, ``stamp`` (local files only), ``listed_md5``,
# ``listed_at`` and ``modified`` whichever it is. Tuples, so comparing two listings of tens of
# thousands of files stays a C-level loop.
StoredFile = LocalFile | RemoteFile


@dataclass
class Snapshot:
    """Every file the storage holds now, by storage name (``/``-separated)."""

    files: dict[str, StoredFile] = field(default_factory=dict)
    local: bool = False
    errors: list[str] = field(default_factory=list)
    # A file changed too recently for its stamp to prove it has not changed again since.
    racy: bool = False
    # time.time() when the listing was taken: pages say "checked N minutes ago".
    taken_at: float = field(default_factory=time.time)
    # Seconds the listing took.
    duration: float = 0.0
    # Symlinks that lead outside the storage's folder and every source folder: never listed,
    # never read (name -> where it leads).
    refused: dict[str, str] = field(default_factory=dict)

    def same_files(self, other: Snapshot | None) -> bool:
        """Return True if ``other`` lists the same versions of the same files."""
        return other is not None and self.local and other.local and self.files == other.files


def take_snapshot(
    storage: Storage, s3_client: Any = None, ahead: ListingAhead | None = None
) -> Snapshot:
    """List the whole storage once; errors are reported, never raised.

    ``s3_client`` lets another thread list with the caller's client: django-storages keeps one
    connection per thread, and a new one costs a boto3 session. ``ahead`` is the same listing
    started earlier in a hashing process (``ListingAhead``).
    """
    if _is_local(storage):
        walked = ahead.take() if ahead is not None else None
        if walked is None:
            with collector_paused():
                walked = walk(str(storage.location), source_roots(), source_folders())
        return Snapshot(
            cast(dict[str, StoredFile], walked.files),  # a local folder's files are LocalFiles
            local=True,
            errors=walked.errors,
            racy=walked.racy,
            taken_at=walked.taken_at,
            duration=walked.duration,
            refused=walked.refused,
        )
    started = time.monotonic()  # a local walk times itself, wherever it ran
    s3 = as_s3(storage)
    if s3 is not None:
        snapshot = _list_s3(s3, s3_client)
    else:
        snapshot = _list_generic(storage, get_config()["GENERIC_MAX_FILES"])
    snapshot.duration = time.monotonic() - started
    return snapshot


# Below this many source files, starting the hashing processes to walk a local folder would
# cost more than walking it alongside the sources saves.
LIST_AHEAD_MIN_FILES = 10_000


@dataclass
class ListingAhead:
    """A local storage's listing, started in a hashing process once the sources show the
    project is large (``start``, given as ``current_inventory``'s ``listed``), for
    ``take_snapshot`` to take while this process went on with the sources. In a process whose
    command line runs the inspector's command, the walk started while Django loaded stands in
    for it (``loading``)."""

    storage: Storage | None
    started: Started[Packed] | None = None
    loaded: WalkWhileLoading | None = None

    def __post_init__(self) -> None:
        if self.loaded is None and _is_local(self.storage):
            self.loaded = taken_by(str(self.storage.location))

    def start(self, sources: int) -> None:
        """Start the walk for a project of ``sources`` source files, unless it is too small to
        gain from it, the storage is not a local folder, there is no pool, or one started while
        Django loaded."""
        storage = self.storage
        if self.loaded is not None and self.loaded.refused():
            self.loaded = None  # back already, and of no use: walk as without it
        if self.loaded is not None or self.started is not None:
            return
        if sources >= LIST_AHEAD_MIN_FILES and _is_local(storage):
            where = (str(storage.location), source_roots(), source_folders())
            self.started = start(walk_packed, where, get_config()["HASH_PROCESSES"])

    def take(self) -> Walked | None:
        """Wait for the walk's answer and hold it no longer here: None when it was never
        started, its pool broke, or the one started while Django loaded met a symlink out of
        the folder or predates the folder's manifest (this process walks it then, knowing the
        source folders)."""
        loaded, self.loaded = self.loaded, None
        if loaded is not None:
            return loaded.take()
        started, self.started = self.started, None
        packed = started.outcome() if started is not None else None
        return unpacked(packed) if packed is not None else None

    def drop(self) -> None:
        """Let go of a walk nobody will take (one still running finishes unread)."""
        loaded, self.loaded = self.loaded, None
        if loaded is not None:
            loaded.drop()
        started, self.started = self.started, None
        if started is not None:
            started.future.cancel()


def _is_local(storage: Storage | None) -> TypeGuard[FileSystemStorage]:
    return isinstance(storage, FileSystemStorage) and bool(storage.location)


def _list_generic(storage: Storage, max_files: int) -> Snapshot:
    """Walk any storage through ``listdir``: one request per folder on most remote backends,
    so the walk stops after ``max_files`` files and says so."""
    snapshot = Snapshot()
    pending = [""]
    while pending:
        if len(snapshot.files) >= max_files:
            snapshot.errors.append(
                f"listing stopped after {max_files:,} files (GENERIC_MAX_FILES): "
                f"{type(storage).__name__} has no fast listing, the rest is not checked"
            )
            break
        folder = pending.pop()
        try:
            dirs, names = storage.listdir(folder)
        except FileNotFoundError:
            continue
        except Exception as exc:  # any backend's error: report it, keep the rest working
            snapshot.errors.append(f"cannot list {folder or 'the storage root'!r}: {exc}")
            continue
        prefix = f"{folder}/" if folder else ""
        pending.extend(prefix + d for d in dirs)
        for name in names:
            snapshot.files[prefix + name] = RemoteFile(prefix + name, None)
    return snapshot


_MD5_ETAG = re.compile(r'^"?([0-9a-f]{32})"?$')


def _list_s3(storage: S3Storage, client: Any = None) -> Snapshot:
    """List every object under the storage's ``location`` with one ListObjectsV2 paginator.

    Names are made relative to ``location``, as the storage's own API gives them. A plain
    32-hex ETag is kept as the claimed md5, except when the storage gzips on upload
    (``AWS_IS_GZIPPED``): the ETag is then the md5 of the gzipped bytes. Multipart ETags
    (``...-N``) carry no md5 and are left out.
    """
    snapshot = Snapshot()
    prefix = str(storage.location or "").strip("/")
    prefix = f"{prefix}/" if prefix else ""
    trust_etags = not getattr(storage, "gzip", False)
    try:
        client = client or storage.connection.meta.client
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=storage.bucket_name, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                name = str(item["Key"])[len(prefix) :]
                if not name or name.endswith("/"):
                    continue  # the prefix itself, or a "folder" marker object
                match = _MD5_ETAG.match(str(item.get("ETag", ""))) if trust_etags else None
                md5 = match.group(1) if match else None
                written = item.get("LastModified")
                at = written.timestamp() if isinstance(written, datetime) else None
                snapshot.files[name] = RemoteFile(name, int(item.get("Size", 0)), md5, at)
    except Exception as exc:  # network, credentials, missing bucket: report it, keep working
        where = f"{storage.bucket_name}/{prefix}"
        snapshot.errors.append(f"cannot list {where!r}: {exc}")
    return snapshot


def file_size(storage: Storage, stored: StoredFile) -> int | None:
    """Return the size of a stored file, asking the storage only when the listing lacked it."""
    if stored.size is not None:
        return stored.size
    try:
        return int(storage.size(stored.name))
    except Exception:
        return None


def read_bytes(
    storage: Storage, stored: StoredFile, *, any_version: bool = False, limit: int | None = None
) -> bytes:
    """Return the bytes of a stored file (raises ``OSError`` or the backend's error); a local
    one as listed, or ``any_version`` as it is now, and then at most ``limit + 1`` of them
    (``fingerprints.read_recorded``)."""
    if stored.stamp is not None:
        return fingerprints.read_recorded(stored.stamp, limit, any_version=any_version)
    s3 = as_s3(storage)
    if s3 is not None:
        # One GetObject: the Storage API's open() adds two HEADs (exists, then size).
        from storages.utils import clean_name

        key = s3._normalize_name(clean_name(stored.name))
        client = s3.connection.meta.client
        answer = client.get_object(Bucket=s3.bucket_name, Key=key)
        return bytes(answer["Body"].read())
    with storage.open(stored.name, "rb") as stream:
        return bytes(stream.read())


def md5_of(storage: Storage, stored: StoredFile) -> str:
    """Return the md5 of a stored file, from the fingerprint cache when it is local."""
    if stored.stamp is not None:
        return fingerprints.md5(stored.stamp)
    return hashlib.md5(read_bytes(storage, stored), usedforsecurity=False).hexdigest()


def gunzipped(storage: Storage, data: bytes) -> bytes:
    """Undo ``AWS_IS_GZIPPED``: such objects are stored gzipped and served decoded."""
    if getattr(storage, "gzip", False) and data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError):
            return data
    return data
