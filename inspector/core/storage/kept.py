"""One listing of the collected storage, kept for the layers to share.

Listing the collected storage is the costly part of every layer that reads it (a remote one costs
requests, seconds at tens of thousands of files), so the manifest and live layers, the collection
page, the panel and the CLI all read one listing instead of one each. ``snapshot_of()`` keeps it
per configuration (a digest of the settings the storage is built from: a settings change never
answers from the old storage) and applies the caller's ``MaxAge`` (``freshness``); a remote
listing is kept across processes too, through the shared cache (unless that cache lives in this
process only, where it would be a second, pickled copy). A remote listing is never
waited on longer than ``TIMEOUT``: it goes on in the background and serves the next call.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time

from django.core.files.storage import Storage

from ...conf import cross_process_cache, get_config
from .. import caches
from ..freshness import NOW, MaxAge
from .instance import as_s3, describe, is_remote, params_key
from .listing import ListingAhead, Snapshot, take_snapshot

_snapshots: dict[str, Snapshot] = {}
_snapshots_lock = threading.Lock()
_listing: dict[str, threading.Thread] = {}


def snapshot_of(
    storage: Storage,
    *,
    max_age: MaxAge = NOW,
    wait: float | None = None,
    ahead: ListingAhead | None = None,
) -> Snapshot:
    """Return a listing of ``storage`` no older than ``max_age`` allows.

    Remote listings are shared through the cache too, so the CLI and every web worker reuse
    one. A remote listing that takes longer than ``wait`` (default ``TIMEOUT``) is not waited
    for: the caller gets an empty snapshot that says so, and the listing, once done, serves the
    next call. ``ahead``: a local listing already started (``listing.ListingAhead``).
    """
    remote = is_remote(storage)
    key = _snapshot_key()
    kept = _kept(key, remote)
    if kept is not None and time.time() - kept.taken_at <= max_age.of_listing(remote):
        if ahead is not None:
            ahead.drop()
        return kept
    if not remote:
        return _store(key, take_snapshot(storage, ahead=ahead), remote=False)
    timeout = float(get_config()["TIMEOUT"])
    return _remote_snapshot(storage, key, timeout if wait is None else max(0.0, wait))


# A remote storage that failed or stalled is not asked again for this long: the pages that
# follow answer at once ("unknown", and when the next try is) instead of each waiting TIMEOUT.
BACKOFF_SECONDS = 30.0
_failed: dict[str, tuple[float, str]] = {}  # snapshot key -> (retry after, time.time(); what)


def note_failure(message: str) -> str:
    """Remember that the configured remote storage failed; return the message pages show."""
    wait = min(BACKOFF_SECONDS, float(get_config()["REMOTE_MAX_AGE"]))
    retry = time.time() + wait
    said = (
        f"{message}; not asked again before {time.strftime('%H:%M:%S', time.localtime(retry))} "
        f"(in {wait:g} s), or at Re-check now"
    )
    if wait > 0:
        with _snapshots_lock:
            _failed[_snapshot_key()] = (retry, said)
    return said


def listing_in_progress() -> bool:
    """Return True while a listing of the configured remote storage runs in the background."""
    with _snapshots_lock:
        thread = _listing.get(_snapshot_key())
    return thread is not None and thread.is_alive()


def backing_off() -> str | None:
    """Return why the configured remote storage is not asked now (a recent failure), or None."""
    with _snapshots_lock:
        found = _failed.get(_snapshot_key())
    if found is None or time.time() >= found[0]:
        return None
    return found[1]


def _forget_in_process() -> None:
    with _snapshots_lock:
        _snapshots.clear()
        _failed.clear()


caches.register(
    "listings",
    _forget_in_process,
    fresh_while=(
        "younger than the caller's MaxAge for a local or a remote listing; a remote failure "
        "for BACKOFF_SECONDS"
    ),
)


def forget_listings() -> None:
    """Drop every kept listing, here and in the shared cache: the next call lists again."""
    _forget_in_process()
    cache = cross_process_cache()
    if cache is not None:
        with contextlib.suppress(Exception):
            cache.delete(_snapshot_key())


def _snapshot_key() -> str:
    """Return the cache key of the configured storage's listing (the settings it depends on)."""
    digest = hashlib.md5(params_key().encode(), usedforsecurity=False).hexdigest()
    return f"inspector:snapshot:{digest}"


def _kept(key: str, remote: bool) -> Snapshot | None:
    with _snapshots_lock:
        kept = _snapshots.get(key)
    if kept is None and remote:
        cache = cross_process_cache()
        try:
            kept = cache.get(key) if cache is not None else None
        except Exception:  # an unreachable cache server is no reason to fail
            kept = None
        if kept is not None:
            with _snapshots_lock:
                _snapshots[key] = kept
    return kept


def _store(key: str, snapshot: Snapshot, *, remote: bool) -> Snapshot:
    if remote and snapshot.errors:
        return snapshot  # an endpoint that failed is asked again next time, not kept failing
    with _snapshots_lock:
        _snapshots[key] = snapshot
    if remote:
        cache = cross_process_cache()
        if cache is not None:
            # Too large for the backend (memcached's 1 MB), or the cache is down: kept here only.
            with contextlib.suppress(Exception):
                cache.set(key, snapshot, timeout=int(get_config()["REMOTE_MAX_AGE"]) or None)
    return snapshot


def _remote_snapshot(storage: Storage, key: str, timeout: float) -> Snapshot:
    result: list[Snapshot] = []
    client = None
    s3 = as_s3(storage)
    if s3 is not None:
        try:  # boto3 clients, unlike django-storages' per-thread resources, are thread-safe
            client = s3.connection.meta.client
        except Exception as exc:
            return Snapshot(errors=[f"cannot connect to {describe(storage)}: {exc}"])

    def run() -> None:
        snapshot = take_snapshot(storage, client)
        result.append(snapshot)
        _store(key, snapshot, remote=True)
        with _snapshots_lock:
            _listing.pop(key, None)

    with _snapshots_lock:
        thread = _listing.get(key)
        if thread is None or not thread.is_alive():
            # A daemon: a CLI run that gave up waiting must still be able to exit.
            thread = threading.Thread(target=run, name="inspector-listing", daemon=True)
            _listing[key] = thread
            thread.start()
    thread.join(timeout)
    if result:
        return result[0]
    if not thread.is_alive():  # finished for an earlier caller
        kept = _kept(key, remote=True)
        if kept is not None:
            return kept
    return Snapshot(
        errors=[
            f"{describe(storage)} did not answer within {timeout:g} s (TIMEOUT); the listing "
            "goes on in the background and the next page uses it"
        ]
    )
