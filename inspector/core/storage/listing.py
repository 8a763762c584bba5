"""Listing the collected storage, and reading the files a listing named.

Three adapters behind one ``take_snapshot``, fastest first: an ``os.scandir`` walk for local
folders (whose stamps let digests be cached by file version); one paginated ListObjectsV2 over the
``location`` of django-storages' S3 backends (1,000 keys a request, with sizes and ETags, where
the Storage API would cost a ListObjects per folder and then a HEAD and a GET per object); and
the Storage API (``listdir``) for anything else, bounded in files.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import stat
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.core.files.storage import FileSystemStorage, Storage

from ...conf import get_config
from .. import fingerprints
from ..bulk import collector_paused
from ..reading import LocalFile
from ..shared_strings import one_copy
from ..sources import source_folders, source_roots
from .instance import S3Storage, as_s3


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


def take_snapshot(storage: Storage, s3_client: Any = None) -> Snapshot:
    """List the whole storage once; errors are reported, never raised.

    ``s3_client`` lets another thread list with the caller's client: django-storages keeps one
    connection per thread, and a new one costs a boto3 session.
    """
    if isinstance(storage, FileSystemStorage) and storage.location:
        with collector_paused():
            return _walk_local(str(storage.location), source_roots(), source_folders())
    s3 = as_s3(storage)
    if s3 is not None:
        return _list_s3(s3, s3_client)
    return _list_generic(storage, get_config()["GENERIC_MAX_FILES"])


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


# Stat'ing by name inside an open folder spares the kernel resolving every file's full path:
# a quarter of a local listing's time.
_FD_WALK = os.scandir in os.supports_fd and os.stat in os.supports_dir_fd


def _walk_local(root: str, allowed: tuple[str, ...] = (), linked: tuple[str, ...] = ()) -> Snapshot:
    """Walk the folder ``root``; a symlink is followed only where it leads inside ``root`` or
    one of the ``allowed`` folders (``collectstatic --link`` links to the sources), or names a
    path inside one of the ``linked`` source folders as configured (a source file the source
    reaches through a symlink of its own, which Django follows)."""
    snapshot = Snapshot(local=True)
    files = snapshot.files
    newest = 0
    now_ns = time.time_ns()  # before any stat: stamps are judged as of the earliest moment
    inside = (os.path.realpath(root), *allowed)
    pending = [("", root)]
    # Every file's stamp is this folder and its storage name: one string for the whole walk.
    root_folder = root if root.endswith(os.sep) else root + os.sep
    seen: set[tuple[int, int]] = set()  # folders walked: a linked folder is walked once
    # Tens of thousands of entries: the loop body is kept to what each file needs, and the
    # named tuples are made by tuple.__new__ (their generated __new__ is a Python call).
    new = tuple.__new__
    # One int per size, not per file: a file's copy and its hashed copy have the same size,
    # and a large int is 32 bytes.
    sizes: dict[int, int] = {}
    while pending:
        prefix, folder = pending.pop()
        fd = None
        try:
            try:
                if _FD_WALK:
                    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
                    folder_stat = os.fstat(fd)
                else:
                    folder_stat = os.stat(folder)
                identity = (folder_stat.st_dev, folder_stat.st_ino)
                if identity in seen:
                    continue
                seen.add(identity)
                entries = list(os.scandir(fd if fd is not None else folder))
            except FileNotFoundError:
                continue
            except OSError as exc:
                snapshot.errors.append(f"cannot list {folder}: {exc.strerror or exc}")
                continue
            base = folder if folder.endswith(os.sep) else folder + os.sep
            for entry in entries:
                name = one_copy(prefix + entry.name)
                try:
                    if entry.is_symlink() and not _leads_inside(base + entry.name, inside, linked):
                        snapshot.refused[name] = os.path.realpath(base + entry.name)
                        continue
                    if entry.is_dir():
                        pending.append((name + "/", base + entry.name))
                        continue
                    st = entry.stat()  # through the folder's descriptor when it has one
                except OSError:
                    continue  # deleted while walking: it is simply not there
                if not stat.S_ISREG(st.st_mode):
                    continue  # a FIFO or a device: nothing a storage serves
                mtime = st.st_mtime_ns
                if mtime > newest:
                    newest = mtime
                size = sizes.setdefault(st.st_size, st.st_size)
                files[name] = new(LocalFile, (root_folder, name, size, mtime, st.st_ino))
        finally:
            if fd is not None:
                os.close(fd)
    # Racy if the newest file changed within the last tick, as FileStamp.is_racy decides.
    snapshot.racy = bool(files) and now_ns - newest < fingerprints.RACY_NS
    return snapshot


def _leads_inside(link: str, folders: tuple[str, ...], named: tuple[str, ...] = ()) -> bool:
    target = os.path.realpath(link)
    if any(target == f or target.startswith(f + os.sep) for f in folders):
        return True
    if not named:
        return False
    # collectstatic --link writes the source's path as Django builds it (absolute, no "..");
    # beyond it a symlink of the source folder may lead out, and that file is a source.
    literal = os.readlink(link)
    if not os.path.isabs(literal) or ".." in literal.split(os.sep):
        return False
    return any(literal.startswith(f + os.sep) for f in named)


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


def read_bytes(storage: Storage, stored: StoredFile) -> bytes:
    """Return the bytes of a stored file (raises ``OSError`` or the backend's error)."""
    if stored.stamp is not None:
        return fingerprints.read_recorded(stored.stamp)
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
