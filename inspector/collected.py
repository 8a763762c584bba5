"""The collected layer: what the staticfiles storage holds now, read without ever writing.

Three adapters behind one ``take_snapshot``, fastest first: an ``os.scandir`` walk for local
folders (whose stamps let digests be cached by file version); one paginated ListObjectsV2 over the
``location`` of django-storages' S3 backends (1,000 keys a request, with sizes and ETags, where
the Storage API would cost a ListObjects per folder and then a HEAD and a GET per object); and
the Storage API (``listdir``) for anything else, bounded in files.

``collected_storage()`` gives one inspecting instance of the configured class per settings.
Keeping a listing for the layers to share, and how fresh it must be, is ``listings``' concern.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.module_loading import import_string

from . import fingerprints
from .conf import get_config
from .fingerprints import FileStamp


class StoredFile(NamedTuple):
    """One file of the storage; ``stamp`` is set for local files only.

    A tuple, so comparing two listings of tens of thousands of files stays a C-level loop.
    """

    name: str
    size: int | None
    stamp: FileStamp | None
    # The md5 a remote listing claims for the bytes (an S3 ETag). A claim only: an ETag is not the
    # md5 for SSE-KMS objects, and some servers differ, so a mismatch must be confirmed by reading.
    listed_md5: str | None = None


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

    def same_files(self, other: Snapshot | None) -> bool:
        """Return True if ``other`` lists the same versions of the same files."""
        return other is not None and self.local and other.local and self.files == other.files


def take_snapshot(storage: Storage, s3_client: Any = None) -> Snapshot:
    """List the whole storage once; errors are reported, never raised.

    ``s3_client`` lets another thread list with the caller's client: django-storages keeps one
    connection per thread, and a new one costs a boto3 session.
    """
    if isinstance(storage, FileSystemStorage) and storage.location:
        return _walk_local(str(storage.location))
    if is_s3(storage):
        return _list_s3(storage, s3_client)
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
            snapshot.files[prefix + name] = StoredFile(prefix + name, None, None)
    return snapshot


# Stat'ing by name inside an open folder spares the kernel resolving every file's full path:
# a quarter of a local listing's time.
_FD_WALK = os.scandir in os.supports_fd and os.stat in os.supports_dir_fd


def _walk_local(root: str) -> Snapshot:
    snapshot = Snapshot(local=True)
    files = snapshot.files
    newest = 0
    now_ns = time.time_ns()  # before any stat: stamps are judged as of the earliest moment
    pending = [("", root)]
    # Tens of thousands of entries: the loop body is kept to what each file needs, and the
    # named tuples are made by tuple.__new__ (their generated __new__ is a Python call).
    new = tuple.__new__
    while pending:
        prefix, folder = pending.pop()
        fd = None
        try:
            if _FD_WALK:
                fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            entries = list(os.scandir(fd if fd is not None else folder))
        except FileNotFoundError:
            if fd is not None:
                os.close(fd)
            continue
        except OSError as exc:
            if fd is not None:
                os.close(fd)
            snapshot.errors.append(f"cannot list {folder}: {exc.strerror or exc}")
            continue
        base = folder if folder.endswith(os.sep) else folder + os.sep
        try:
            for entry in entries:
                name = prefix + entry.name
                try:
                    if entry.is_dir():
                        pending.append((name + "/", base + entry.name))
                        continue
                    st = entry.stat()  # through the folder's descriptor when it has one
                except OSError:
                    continue  # deleted while walking: it is simply not there
                mtime = st.st_mtime_ns
                if mtime > newest:
                    newest = mtime
                size = st.st_size
                stamp = new(FileStamp, (base + entry.name, size, mtime, st.st_ino))
                files[name] = new(StoredFile, (name, size, stamp, None))
        finally:
            if fd is not None:
                os.close(fd)
    # Racy if the newest file changed within the last tick, as FileStamp.is_racy decides.
    snapshot.racy = bool(files) and now_ns - newest < fingerprints.RACY_NS
    return snapshot


def is_s3(storage: Storage) -> bool:
    """Return True for django-storages' S3 backends (an optional dependency)."""
    # An S3Storage instance means its module is loaded already; importing it otherwise would
    # pull in boto3 (a tenth of a second) just to learn that a local storage is not S3.
    module = sys.modules.get("storages.backends.s3")
    s3_class = getattr(module, "S3Storage", None) if module is not None else None
    return s3_class is not None and isinstance(storage, s3_class)


_MD5_ETAG = re.compile(r'^"?([0-9a-f]{32})"?$')


def _list_s3(storage: Any, client: Any = None) -> Snapshot:
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
                snapshot.files[name] = StoredFile(name, int(item.get("Size", 0)), None, md5)
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
        with open(stored.stamp.location, "rb") as stream:
            return stream.read()
    if is_s3(storage):
        # One GetObject: the Storage API's open() adds two HEADs (exists, then size).
        from storages.utils import clean_name

        key = storage._normalize_name(clean_name(stored.name))  # type: ignore[attr-defined]
        client = storage.connection.meta.client  # type: ignore[attr-defined]
        answer = client.get_object(Bucket=storage.bucket_name, Key=key)  # type: ignore[attr-defined]
        return bytes(answer["Body"].read())
    with storage.open(stored.name, "rb") as stream:
        return bytes(stream.read())


def md5_of(storage: Storage, stored: StoredFile) -> str:
    """Return the md5 of a stored file, from the fingerprint cache when it is local."""
    if stored.stamp is not None:
        return fingerprints.md5(stored.stamp)
    return hashlib.md5(read_bytes(storage, stored), usedforsecurity=False).hexdigest()


# --- one inspecting storage instance per configuration --------------------------------------


@dataclass
class _Made:
    params: str = ""
    storage: Any = None
    error: str | None = None


_made = _Made()
_made_lock = threading.Lock()


def staticfiles_params() -> dict[str, Any]:
    return dict(settings.STORAGES.get(STATICFILES_STORAGE_ALIAS) or {})


def params_key() -> str:
    """Return the settings the storage is built from, as one string to compare or digest."""
    # The storage reads these at construction; a change (tests, setting_changed) makes a new one.
    return repr((staticfiles_params(), settings.STATIC_ROOT, settings.STATIC_URL))


def collected_storage() -> tuple[Any, str | None]:
    """Return (a fresh inspecting instance of the configured staticfiles storage, error).

    Never the shared ``staticfiles_storage``: manifest storages get a subclass that does not
    load the manifest on construction (see ``manifest_hashing``), and remote clients get the
    inspector's own timeouts so that a page never waits on a stalled endpoint for long.
    """
    key = params_key()
    with _made_lock:
        if _made.params != key:
            storage, error = _make(staticfiles_params())
            _made.params, _made.storage, _made.error = key, storage, error
        return _made.storage, _made.error


def forget_storage() -> None:
    """Forget the storage instance and its listings (tests, settings changes)."""
    # Imported here: listings builds on this module, so this one cannot import it at load time.
    from .listings import forget_snapshots_in_process

    with _made_lock:
        _made.params, _made.storage, _made.error = "", None, None
    forget_snapshots_in_process()


def _make(params: dict[str, Any]) -> tuple[Any, str | None]:
    from .manifest_hashing import inspecting_class

    backend = params.get("BACKEND")
    if not backend:
        return None, "no staticfiles storage is configured (STORAGES['staticfiles'])"
    try:
        cls = import_string(str(backend))
    except Exception as exc:
        return None, f"cannot import the staticfiles storage {backend!r}: {exc}"
    if isinstance(cls, type) and issubclass(cls, ManifestFilesMixin):
        cls = inspecting_class(cls)
    try:
        storage = cls(**params.get("OPTIONS", {}))
    except Exception as exc:  # misconfiguration of any backend (STATIC_ROOT, credentials...)
        return None, f"cannot create {backend}: {exc}"
    if is_s3(storage):
        _bound_waits(storage, float(get_config()["TIMEOUT"]))
    return storage, None


def _bound_waits(storage: Any, timeout: float) -> None:
    """Give the S3 client the inspector's timeouts, and one retry instead of botocore's
    several with backoff (which turn a refused connection into a long wait)."""
    from botocore.config import Config

    ours = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"mode": "standard", "total_max_attempts": 2},
    )
    base = storage.client_config
    storage.client_config = base.merge(ours) if base is not None else ours


def is_remote(storage: Any) -> bool:
    return not (isinstance(storage, FileSystemStorage) and storage.location)


def describe(storage: Any) -> str:
    """Return where the storage keeps files: a folder, ``s3://bucket/location``, or its class."""
    from .manifest_hashing import configured_class

    if not is_remote(storage):
        return str(storage.location)
    if is_s3(storage):
        location = str(storage.location or "").strip("/")
        return f"s3://{storage.bucket_name}/{location}".rstrip("/")
    return configured_class(storage).__name__
