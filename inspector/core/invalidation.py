"""What a CDN in front of ``STATIC_URL`` must drop after a collection (design.md).

A hashed name never gets other bytes, so it never needs invalidating. What does: each unhashed
stored name whose bytes a collection replaces (``modified``) or writes for the first time
(``missing``: a CDN may keep the 404 it cached), the compressed variants whitenoise writes beside
them, and the manifest when its content changes. Its URL path is ``STATIC_URL``'s path followed
by the name quoted as ``{% static %}`` quotes it; Django itself puts the script prefix before a
relative ``STATIC_URL`` (``FORCE_SCRIPT_NAME`` in commands and workers, the request's in pages).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import Storage
from django.utils.encoding import filepath_to_uri

from .layers import Layers
from .manifest.releases import manifest_name_in_storage
from .manifest.variants import written_variants
from .records import PathRecord
from .status import LiveStatus, ManifestStatus
from .storage.instance import as_manifest_storage, as_s3, keeps_only_hashed

__all__ = [
    "CLOUDFRONT_MAX_PATHS",
    "Invalidation",
    "cdn_host",
    "differs",
    "pending_invalidation",
    "static_url_path",
]

# CloudFront accepts at most 3,000 individual paths in progress per distribution at a time
# (and 15 wildcard paths): a longer list is sent in batches, each after the last completed.
CLOUDFRONT_MAX_PATHS = 3000
DISTRIBUTION_VARIABLE = "$DISTRIBUTION_ID"


def static_url_path() -> str:
    """Return the path part of ``STATIC_URL`` (with the script prefix where Django adds one)."""
    path = urlsplit(str(settings.STATIC_URL or "/")).path or "/"
    return path if path.endswith("/") else path + "/"


@dataclass(frozen=True, slots=True)
class Invalidation:
    """Stored names (relative to the staticfiles storage) whose URLs a CDN must drop."""

    names: tuple[str, ...]
    prefix: str

    @classmethod
    def of(cls, names: Iterable[str]) -> Invalidation:
        """Return the invalidation of ``names`` under this process's ``STATIC_URL``."""
        return cls(tuple(sorted(set(names))), static_url_path())

    @property
    def paths(self) -> tuple[str, ...]:
        """Return the URL paths, as ``{% static %}`` quotes the names."""
        return tuple(self.prefix + filepath_to_uri(name) for name in self.names)

    def batches(self, size: int = CLOUDFRONT_MAX_PATHS) -> list[tuple[str, ...]]:
        paths = self.paths
        return [paths[start : start + size] for start in range(0, len(paths), size)]

    def cloudfront_commands(self, distribution: str = DISTRIBUTION_VARIABLE) -> list[str]:
        """Return the AWS CLI lines that invalidate every path, batch after batch."""
        target = f'"{distribution}"' if distribution.startswith("$") else shlex.quote(distribution)
        batches = self.batches()
        base = f"aws cloudfront create-invalidation --distribution-id {target}"
        if len(batches) == 1:
            return [f"{base} --paths {_quoted(batches[0])}"]
        lines = []
        for batch in batches:
            lines.append(
                f"id=$({base} --query Invalidation.Id --output text --paths {_quoted(batch)})"
            )
            lines.append(
                f'aws cloudfront wait invalidation-completed --distribution-id {target} --id "$id"'
            )
        return lines


def _quoted(paths: Iterable[str]) -> str:
    return " ".join(shlex.quote(path) for path in paths)


def pending_invalidation(
    layers: Layers, paths: Iterable[str] | None = None, *, removed: Iterable[str] = ()
) -> Invalidation:
    """Return what to invalidate once ``paths`` are collected (copied again): by default every
    path that ``differs``, as the live layer says; ``removed`` are stored names a cleared
    storage no longer serves."""
    live = layers.live
    storage = live.storage if live is not None else None
    if storage is None:
        return Invalidation.of(())
    if paths is None:
        changed = [r for r in layers.inventory if differs(layers, r)]
    else:
        wanted = set(paths)
        changed = [r for r in layers.inventory if r.path in wanted]
    names = set(removed)
    if not keeps_only_hashed(storage):  # whitenoise deletes them
        names.update(r.path for r in changed)
        names.update(_variants(storage, changed, layers))
    hashing = as_manifest_storage(storage)
    if hashing is not None and (changed or names or _manifest_changes(layers)):
        manifest = manifest_name_in_storage(hashing)
        if manifest is not None:
            names.add(manifest)
    return Invalidation.of(names)


def differs(layers: Layers, record: PathRecord) -> bool:
    """Return True if collecting now writes other bytes under the path's unhashed name."""
    if record.collect_winner is None:
        return False  # never collected: nothing is ever written under its URL
    return layers.live_status(record.path) in (LiveStatus.MODIFIED, LiveStatus.MISSING)


def _variants(storage: Storage, changed: list[PathRecord], layers: Layers) -> set[str]:
    """Return the compressed variants a collection writes beside ``changed`` (whitenoise's),
    and those already stored beside them (a CDN may hold them too)."""
    sources = {record.path: _source_bytes(record) for record in changed}
    found = {v for written in written_variants(storage, sources).values() for v in written}
    snapshot = layers.live.snapshot if layers.live is not None else None
    if snapshot is not None:
        for record in changed:
            found.update(
                record.path + suffix
                for suffix in (".gz", ".br")
                if record.path + suffix in snapshot.files
            )
    return found


def _source_bytes(record: PathRecord) -> bytes | None:
    """Return the bytes collection takes for ``record`` (None: not a local file, unreadable)."""
    winner = record.collect_winner
    if winner is None or winner.stamp is None:
        return None
    try:
        with open(winner.stamp.location, "rb") as stream:
            return stream.read()
    except OSError:
        return None


def _manifest_changes(layers: Layers) -> bool:
    """Return True if collecting now writes a manifest with other entries than today's."""
    manifest = layers.manifest
    if not manifest.applicable:
        return False
    if manifest.unchecked or manifest.entry_count == 0:
        return True
    return any(
        layers.manifest_status(r.path) in (ManifestStatus.MISSING_ENTRY, ManifestStatus.STALE)
        for r in layers.inventory
        if r.collect_winner is not None
    )


# Hosts that serve a bucket itself, not a cache in front of it.
_STORAGE_HOST_SUFFIXES = ("amazonaws.com",)


def cdn_host(storage: Storage | None) -> str | None:
    """Return the host of an absolute ``STATIC_URL`` that is not the storage itself (a CDN or a
    proxy that keeps copies), or None."""
    parts = urlsplit(str(settings.STATIC_URL or ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    s3 = as_s3(storage)
    if s3 is not None:
        endpoint = urlsplit(str(getattr(s3, "endpoint_url", "") or "")).hostname
        if host == endpoint or host.endswith(_STORAGE_HOST_SUFFIXES):
            return None
    return host
