"""Which URLs the served probe requests for which paths, and the results it keeps.

``probe`` knows only HTTP; this module asks the layers what to request: the URL
``{% static %}`` gives in production (the manifest's hashed name where there is a manifest, the
storage's ``url()`` otherwise), made absolute with ``STATIC_URL`` or a base URL, and the md5 of
the collected copy that URL names. Results are kept in the shared cache by path, so the
dashboard shows the last probe (from a page or the CLI) with its age.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

from ..conf import get_config, shared_cache
from ..core.layers import Layers
from ..core.records import PathRecord
from ..core.served import ProbeTarget, ServedResult
from ..core.status import ServedStatus
from .probe import absolute_url, probe

_KEY = "inspector:served:"
# Probe results are kept this long (seconds): long enough to compare, short enough to not mislead.
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class Probed:
    """A probe result and when it was taken (time.time())."""

    result: ServedResult
    at: float


def targets_for(
    layers: Layers, records: Iterable[PathRecord], base_url: str | None = None
) -> tuple[list[ProbeTarget], list[ServedResult]]:
    """Return the targets to request, and results for paths that cannot be probed (and why)."""
    targets: list[ProbeTarget] = []
    skipped: list[ServedResult] = []
    for record in records:
        target, why = _target(layers, record, base_url)
        if target is not None:
            targets.append(target)
        else:
            skipped.append(_unchecked(record.path, why))
    return targets, skipped


def _target(
    layers: Layers, record: PathRecord, base_url: str | None
) -> tuple[ProbeTarget | None, str]:
    live = layers.live
    storage = live.storage if live is not None else None
    if storage is None:
        return None, "no collected storage to compare with"
    manifest = layers.manifest
    entry = manifest.entry(record.path) if manifest.applicable else None
    if entry is not None and entry.hashed_name is None:
        return None, f"the manifest gives no URL for it ({entry.status})"
    name = entry.hashed_name if entry is not None and entry.hashed_name else record.path
    try:
        relative = entry.url if entry is not None and entry.url else str(storage.url(name))
    except Exception as exc:  # the storage's own error is the finding
        return None, f"the storage gives no URL: {exc}"
    url = absolute_url(relative, base_url)
    if url is None:
        return None, f"{relative} is relative: give a base URL (--base-url) to probe it"
    stored = live.stored_md5(name) if live is not None else None
    md5, size = stored if stored is not None else (None, None)
    return ProbeTarget(record.path, url, entry is not None, md5, size), ""


def configured_base_url() -> str | None:
    """Return where the site is served, from ``ASSET_INSPECTOR["BASE_URL"]`` only: pages never
    take it from a request, whose Host header (and its port) the client chooses."""
    base_url = get_config()["BASE_URL"]
    return str(base_url) if base_url else None


# What a page says when it cannot probe: the one way to fix it.
NO_BASE_URL = (
    'STATIC_URL is relative: set ASSET_INSPECTOR["BASE_URL"] to where the site is served '
    '(e.g. "https://www.example.com"), or make STATIC_URL absolute, to probe from the dashboard.'
)


def probe_setup_problem() -> str | None:
    """Return why the dashboard cannot probe (no base URL to make URLs absolute), or None."""
    if configured_base_url() or absolute_url(str(settings.STATIC_URL or ""), None):
        return None
    return NO_BASE_URL


def _unchecked(path: str, why: str) -> ServedResult:
    return ServedResult(path, "", ServedStatus.UNCHECKED, None, f"not probed: {why}")


def run_probe(
    layers: Layers, records: Sequence[PathRecord], base_url: str | None = None
) -> dict[str, ServedResult]:
    """Probe the served URL of each record within the configured bounds; keep the results."""
    config = get_config()
    targets, skipped = targets_for(layers, records, base_url)
    results = probe(
        targets,
        concurrency=int(config["PROBE_CONCURRENCY"]),
        timeout=float(config["TIMEOUT"]),
        budget=float(config["PROBE_BUDGET"]),
        max_bytes=int(config["MAX_HASH_BYTES"]),
    )
    by_path = {result.path: result for result in [*skipped, *results]}
    _keep(by_path)
    return by_path


def _key(path: str) -> str:
    # Paths may hold spaces and control characters, which memcached refuses in keys.
    digest = hashlib.md5(path.encode(errors="surrogateescape"), usedforsecurity=False)
    return _KEY + digest.hexdigest()


def _keep(results: dict[str, ServedResult]) -> None:
    cache = shared_cache()
    if cache is None:
        return
    now = time.time()
    with contextlib.suppress(Exception):  # a cache that is down loses the history, nothing else
        cache.set_many(
            {_key(path): Probed(result, now) for path, result in results.items()},
            timeout=KEEP_SECONDS,
        )
        # The paths a cache in front of STATIC_URL serves stale, in one key: the overview names
        # them without asking the cache about every path.
        stale = set(cache.get(_CDN_STALE_KEY) or ())
        for path, result in results.items():
            if _served_stale_from_a_cache(result):
                stale.add(path)
            else:
                stale.discard(path)
        cache.set(_CDN_STALE_KEY, sorted(stale), timeout=KEEP_SECONDS)


_CDN_STALE_KEY = _KEY + "cdn-stale"


def _served_stale_from_a_cache(result: ServedResult) -> bool:
    """Return True for stale bytes that a cache answered (it sent ``Age`` or a cache status)."""
    return result.status == ServedStatus.STALE and bool(result.age or result.x_cache)


def cdn_stale() -> list[Probed]:
    """Return the last probes that found a CDN (or another cache) serving stale bytes, by path."""
    cache = shared_cache()
    if cache is None:
        return []
    try:
        paths = cache.get(_CDN_STALE_KEY) or ()
    except Exception:
        return []
    found = last_probes(paths)
    return [found[p] for p in sorted(found) if _served_stale_from_a_cache(found[p].result)]


def last_probes(paths: Iterable[str]) -> dict[str, Probed]:
    """Return the last kept probe of each path that has one."""
    cache = shared_cache()
    if cache is None:
        return {}
    keys = {_key(path): path for path in paths}
    try:
        found = cache.get_many(list(keys))
    except Exception:
        return {}
    return {keys[key]: value for key, value in found.items() if isinstance(value, Probed)}
