"""The files of a manifest storage beyond the manifest: old hashed versions, compressed variants.

The listing itself comes from ``storage.listing``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
import zlib
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol, cast

from django.conf import settings
from django.core.files.storage import Storage

from .. import caches
from ..storage.listing import Snapshot, StoredFile, md5_of, read_bytes

COMPRESSED_SUFFIXES = (".br", ".gz")


# --- old hashed versions ----------------------------------------------------------------------


def hashed_shape(manifest: Mapping[str, str]) -> re.Pattern[str]:
    """Return a pattern for ``root.HASH.ext`` names, HASH as long as the manifest's own hashes.

    Django's hash is 12 hex digits; a custom ``file_hash`` may differ, so the lengths are learnt
    from the manifest (from a sample: every entry carries the same kind of hash).
    """
    lengths: set[int] = set()
    for key, value in islice(manifest.items(), 200):
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
    snapshot: Snapshot,
    manifest: Mapping[str, str],
    known: Callable[[str], bool],
    kept: Container[str] = (),
) -> list[tuple[str, StoredFile]]:
    """Return (static path, file) for each hashed file of a known path (a manifest key, or one
    ``known`` accepts) that no entry points to, nor any other release kept beside it (``kept``:
    the hashed names their manifests name).

    Compressed variants of such a file count as old versions too: they are as reclaimable.
    """
    # Membership is asked of the manifest and ``known`` as they are: a union of every name
    # would copy hundreds of thousands of them for the few files that look like old versions.
    pointed = set(manifest.values())

    def current(name: str) -> bool:
        return name in pointed or name in manifest or name in kept

    shape = hashed_shape(manifest)
    found = []
    for name, stored in snapshot.files.items():
        if current(name):
            continue
        base, _ = strip_compression(name)
        if current(base):
            continue  # a variant of a current file: checked by check_variants
        folder, _, filename = base.rpartition("/")
        match = shape.match(filename)
        if match is None:
            continue
        unhashed = (folder + "/" if folder else "") + match["root"] + (match["ext"] or "")
        if unhashed in manifest or known(unhashed):
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


def _clear_verdicts() -> None:
    with _verdicts_lock:
        _verdicts.clear()


caches.register(
    "variant-verdicts",
    _clear_verdicts,
    fresh_while="both files' stamps (local) or ETags (remote) are unchanged",
)


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
    # The names a variant is stored beside: without a compressor, only theirs are looked at.
    beside = {n.rpartition(".")[0] for n in snapshot.files if n.endswith(COMPRESSED_SUFFIXES)}
    for name in names:
        if compressor is None and name not in beside:
            continue
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
    local = original.stamp is not None and variant.stamp is not None
    # A remote listing's ETags name the versions as well as stamps do.
    listed = original.listed_md5 is not None and variant.listed_md5 is not None
    cacheable = local or listed
    if cacheable and key in _verdicts:
        return _verdicts[key]
    try:
        packed = read_bytes(storage, variant)
        unpacked = _decompress(variant.name, packed)
        actual = hashlib.md5(unpacked, usedforsecurity=False).hexdigest()
        # The original's ETag settles a match without reading it; only a mismatch is confirmed
        # by its bytes (an ETag is not the md5 for SSE-KMS objects).
        expected = actual if actual == original.listed_md5 else md5_of(storage, original)
    except ImportError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        verdict: str | None = f"cannot be decompressed: {exc}"
    except Exception as exc:  # brotli.error and backend errors
        verdict = f"cannot be read or decompressed: {exc!r}"
    else:
        same = actual == expected
        verdict = None if same else "decompresses to other bytes than its original"
    racy = any(s is not None and s.is_racy() for s in (original.stamp, variant.stamp))
    if cacheable and not racy:
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


class Compressor(Protocol):
    """What the inspector uses of whitenoise's ``Compressor`` (untyped upstream)."""

    use_brotli: bool
    use_gzip: bool

    def should_compress(self, filename: str) -> bool: ...

    def compress_brotli(self, data: bytes) -> bytes: ...

    def compress_gzip(self, data: bytes) -> bytes: ...

    def is_compressed_effectively(
        self, encoding_name: str, path: str, orig_size: int, data: bytes
    ) -> bool: ...


def _compressor(storage: Storage) -> Compressor | None:
    create = getattr(storage, "create_compressor", None)
    if create is None:
        return None
    try:
        extensions = getattr(settings, "WHITENOISE_SKIP_COMPRESS_EXTENSIONS", None)
        return cast(Compressor, create(extensions=extensions, quiet=True))
    except Exception:
        return None


def _missing(
    storage: Storage,
    compressor: Compressor,
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


def written_variants(storage: Storage, names: Mapping[str, bytes | None]) -> dict[str, list[str]]:
    """Return, per name, the compressed variants the storage's compressor (whitenoise's) writes
    beside it for the given bytes (every variant it may write when the bytes are None)."""
    compressor = _compressor(storage)
    if compressor is None:
        return {}
    enabled = [s for s, on in ((".br", compressor.use_brotli), (".gz", compressor.use_gzip)) if on]
    written: dict[str, list[str]] = {}
    for name, data in names.items():
        if not compressor.should_compress(name):
            continue
        suffixes = enabled if data is None else _would_write(compressor, data)
        written[name] = [name + suffix for suffix in suffixes]
    return written


def _would_write(compressor: Compressor, data: bytes) -> list[str]:
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
