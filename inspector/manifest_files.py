"""The files a manifest storage holds: one listing, old hashed versions, compressed variants.

Three ways to list, fastest first: an ``os.scandir`` walk for local folders (whose stamps also
let digests and verdicts be cached by file version); one paginated ListObjectsV2 over the
``location`` of django-storages' S3 backends (1,000 keys a request, with sizes and ETags, where
the Storage API would cost a ListObjects per folder and then a HEAD and a GET per object); and
the Storage API (``listdir``, ``size``, ``open``) for anything else.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage

from . import fingerprints
from .fingerprints import FileStamp

COMPRESSED_SUFFIXES = (".br", ".gz")


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

    def same_files(self, other: Snapshot | None) -> bool:
        """Return True if ``other`` lists the same versions of the same files."""
        return other is not None and self.local and other.local and self.files == other.files


def take_snapshot(storage: Storage) -> Snapshot:
    """List the whole storage once; errors are reported, never raised."""
    if isinstance(storage, FileSystemStorage) and storage.location:
        return _walk_local(str(storage.location))
    if _is_s3(storage):
        return _list_s3(storage)
    snapshot = Snapshot()
    pending = [""]
    while pending:
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


def _walk_local(root: str) -> Snapshot:
    snapshot = Snapshot(local=True)
    now_ns = time.time_ns()
    pending = [("", root)]
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        except OSError as exc:
            snapshot.errors.append(f"cannot list {folder}: {exc.strerror or exc}")
            continue
        for entry in entries:
            name = prefix + entry.name
            try:
                if entry.is_dir():
                    pending.append((name + "/", entry.path))
                    continue
                st = entry.stat()
            except OSError:
                continue  # deleted while walking: it is simply not there
            stamp = FileStamp(entry.path, st.st_size, st.st_mtime_ns, st.st_ino)
            snapshot.racy = snapshot.racy or stamp.is_racy(now_ns)
            snapshot.files[name] = StoredFile(name, st.st_size, stamp)
    return snapshot


def _is_s3(storage: Storage) -> bool:
    """Return True for django-storages' S3 backends (an optional dependency)."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # django-storages or boto3 not installed: not an S3 storage then
        return False
    return isinstance(storage, S3Storage)


_MD5_ETAG = re.compile(r'^"?([0-9a-f]{32})"?$')


def _list_s3(storage: Any) -> Snapshot:
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
        client = storage.connection.meta.client
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
    with storage.open(stored.name, "rb") as stream:
        return bytes(stream.read())


def md5_of(storage: Storage, stored: StoredFile) -> str:
    """Return the md5 of a stored file, from the fingerprint cache when it is local."""
    if stored.stamp is not None:
        return fingerprints.md5(stored.stamp)
    return hashlib.md5(read_bytes(storage, stored), usedforsecurity=False).hexdigest()


# --- old hashed versions ----------------------------------------------------------------------


def hashed_shape(manifest: Mapping[str, str]) -> re.Pattern[str]:
    """Return a pattern for ``root.HASH.ext`` names, HASH as long as the manifest's own hashes.

    Django's hash is 12 hex digits; a custom ``file_hash`` may differ, so the lengths are learnt
    from the manifest (from a sample: every entry carries the same kind of hash).
    """
    lengths: set[int] = set()
    for key, value in list(manifest.items())[:200]:
        root, ext = os.path.splitext(key)
        if value.startswith(root + ".") and value.endswith(ext):
            middle = value[len(root) + 1 : len(value) - len(ext)]
            if middle and re.fullmatch(r"[0-9a-f]+", middle):
                lengths.add(len(middle))
    sizes = "|".join(str(n) for n in sorted(lengths or {12}))
    return re.compile(rf"^(?P<root>.+)\.(?P<hash>[0-9a-f]{{{sizes}}})(?P<ext>\.[^./]*)?$")


def strip_compression(name: str) -> tuple[str, str]:
    """Return (name without a compression suffix, the suffix or "")."""
    for suffix in COMPRESSED_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def old_versions(
    snapshot: Snapshot, manifest: Mapping[str, str], known_paths: Iterable[str]
) -> list[tuple[str, StoredFile]]:
    """Return (static path, file) for each hashed file of a known path that no entry points to.

    Compressed variants of such a file count as old versions too: they are as reclaimable.
    """
    current = set(manifest.values()) | set(manifest)
    known = set(known_paths) | set(manifest)
    shape = hashed_shape(manifest)
    found = []
    for name, stored in snapshot.files.items():
        if name in current:
            continue
        base, _ = strip_compression(name)
        if base in current:
            continue  # a variant of a current file: checked by check_variants
        folder, _, filename = base.rpartition("/")
        match = shape.match(filename)
        if match is None:
            continue
        unhashed = (folder + "/" if folder else "") + match["root"] + (match["ext"] or "")
        if unhashed in known:
            found.append((unhashed, stored))
    return found


# --- compressed variants ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VariantFinding:
    """A compressed variant that does not match its original, or one that should exist."""

    name: str  # the original's storage name
    variant: str  # the variant's storage name
    missing: bool
    detail: str


_verdicts: dict[tuple[Any, ...], str | None] = {}
_verdicts_lock = threading.Lock()


def clear_verdicts() -> None:
    with _verdicts_lock:
        _verdicts.clear()


def check_variants(
    storage: Storage, snapshot: Snapshot, names: Iterable[str]
) -> tuple[list[VariantFinding], list[str]]:
    """Check the ``.gz``/``.br`` variants of ``names``; return findings and problems.

    A variant present must decompress to its original's bytes. Missing variants are judged only
    for storages that compress on collection (whitenoise's), with their own compressor, which
    skips some extensions and keeps a variant only when it saves at least 5%.
    """
    compressor = _compressor(storage)
    findings: list[VariantFinding] = []
    problems: set[str] = set()
    for name in names:
        original = snapshot.files.get(name)
        if original is None:
            continue
        variants = {s: snapshot.files.get(name + s) for s in COMPRESSED_SUFFIXES}
        for variant in variants.values():
            if variant is None:
                continue
            try:
                detail = _cached(("match", original, variant), storage, original, variant)
            except ImportError:
                problems.add("cannot verify .br variants: the brotli package is not installed")
                continue
            if detail:
                findings.append(VariantFinding(name, variant.name, False, detail))
        if compressor is not None and compressor.should_compress(name):
            findings.extend(_missing(storage, compressor, original, variants))
    return findings, sorted(problems)


def _cached(
    key: tuple[Any, ...], storage: Storage, original: StoredFile, variant: StoredFile
) -> str | None:
    """Return why ``variant`` does not match ``original`` (None if it does), cached by version."""
    cacheable = original.stamp is not None and variant.stamp is not None
    if cacheable and key in _verdicts:
        return _verdicts[key]
    try:
        packed = read_bytes(storage, variant)
        unpacked = _decompress(variant.name, packed)
        expected = md5_of(storage, original)
    except ImportError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        verdict: str | None = f"cannot be decompressed: {exc}"
    except Exception as exc:  # brotli.error and backend errors
        verdict = f"cannot be read or decompressed: {exc!r}"
    else:
        same = hashlib.md5(unpacked, usedforsecurity=False).hexdigest() == expected
        verdict = None if same else "decompresses to other bytes than its original"
    if cacheable and not (original.stamp.is_racy() or variant.stamp.is_racy()):  # type: ignore[union-attr]
        with _verdicts_lock:
            if len(_verdicts) > 200_000:
                _verdicts.clear()
            _verdicts[key] = verdict
    return verdict


def _decompress(name: str, data: bytes) -> bytes:
    if name.endswith(".gz"):
        return gzip.decompress(data)
    import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return bytes(brotli.decompress(data))


def _compressor(storage: Storage) -> Any | None:
    create = getattr(storage, "create_compressor", None)
    if create is None:
        return None
    try:
        extensions = getattr(settings, "WHITENOISE_SKIP_COMPRESS_EXTENSIONS", None)
        return create(extensions=extensions, quiet=True)
    except Exception:
        return None


def _missing(
    storage: Storage,
    compressor: Any,
    original: StoredFile,
    variants: dict[str, StoredFile | None],
) -> list[VariantFinding]:
    wanted = [s for s, on in ((".br", compressor.use_brotli), (".gz", compressor.use_gzip)) if on]
    if all(variants.get(s) is not None for s in wanted):
        return []
    key = ("missing", original, tuple(variants.get(s) is not None for s in wanted))
    if original.stamp is not None and key in _verdicts:
        would_write = (_verdicts[key] or "").split(",")
    else:
        try:
            would_write = _would_write(compressor, read_bytes(storage, original))
        except Exception:
            return []  # unreadable originals are reported by the per-path checks
        if original.stamp is not None and not original.stamp.is_racy():
            with _verdicts_lock:
                _verdicts[key] = ",".join(would_write)
    return [
        VariantFinding(
            original.name,
            original.name + suffix,
            True,
            f"missing: the storage's compressor would write it ({suffix} saves over 5%)",
        )
        for suffix in wanted
        if suffix in would_write and variants.get(suffix) is None
    ]


def _would_write(compressor: Any, data: bytes) -> list[str]:
    """Return the suffixes whitenoise's ``Compressor.compress`` writes for ``data``."""
    written = []
    if compressor.use_brotli:
        if not compressor.is_compressed_effectively(
            "Brotli", "", len(data), compressor.compress_brotli(data)
        ):
            return []  # whitenoise skips gzip too when brotli did not help
        written.append(".br")
    if compressor.use_gzip and compressor.is_compressed_effectively(
        "Gzip", "", len(data), compressor.compress_gzip(data)
    ):
        written.append(".gz")
    return written
