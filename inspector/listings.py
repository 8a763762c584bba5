"""One listing of the collected storage, shared by the layers and kept per settings.

Listing the collected storage is the costly part of every layer that reads it (a remote one costs
requests, seconds at tens of thousands of files), so the manifest and live layers, the collection
page, the panel and the CLI all read one listing instead of one each. ``snapshot_of()`` keeps it
per configuration (a digest of the settings the storage is built from: a settings change never
answers from the old storage) and applies the freshness rules: kept for ``RECHECK_SECONDS`` when
local, ``REMOTE_MAX_AGE`` when remote (also across processes, through the shared cache), and a
remote listing is never waited on longer than ``TIMEOUT``: it goes on in the background and serves
the next call. ``page_max_age()`` is how old a listing a page accepts.

The CLI's last answer is kept in the same shared cache and dropped with the listings it was read
from, so its keys live here too.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from typing import Any

from .collected import (
    Snapshot,
    collected_storage,
    describe,
    is_remote,
    is_s3,
    params_key,
    take_snapshot,
)
from .conf import get_config, shared_cache

_snapshots: dict[str, Snapshot] = {}
_snapshots_lock = threading.Lock()
_listing: dict[str, threading.Thread] = {}


def page_max_age() -> float:
    """Return how old a listing a page accepts: remote listings cost requests, local ones little."""
    config = get_config()
    storage, _ = collected_storage()
    remote = storage is not None and is_remote(storage)
    return float(config["REMOTE_MAX_AGE"] if remote else config["RECHECK_SECONDS"])


def snapshot_of(storage: Any, *, max_age: float = 0.0) -> Snapshot:
    """Return a listing of ``storage`` taken at most ``max_age`` seconds ago.

    Remote listings are shared through the cache too, so the CLI and every web worker reuse
    one. A remote listing that takes longer than ``TIMEOUT`` is not waited for: the caller gets
    an empty snapshot that says so, and the listing, once done, serves the next call.
    """
    remote = is_remote(storage)
    key = _snapshot_key()
    kept = _kept(key, remote)
    if kept is not None and time.time() - kept.taken_at <= max_age:
        return kept
    if not remote:
        return _store(key, _timed(storage), remote=False)
    return _remote_snapshot(storage, key, float(get_config()["TIMEOUT"]))


def forget_snapshots_in_process() -> None:
    """Drop the listings kept in this process; the shared cache keeps its own."""
    with _snapshots_lock:
        _snapshots.clear()


def forget_snapshots() -> None:
    """Drop every kept listing (here and in the shared cache): the next call lists again."""
    with _snapshots_lock:
        keys = list(_snapshots)
        _snapshots.clear()
    keys += [_snapshot_key(), CLI_ANSWER_KEY, CLI_SIGNATURE_KEY]
    cache = shared_cache()
    if cache is not None:
        with contextlib.suppress(Exception):
            cache.delete_many(keys)


# The CLI's last answer, kept in the shared cache with the signature of its inputs
# (``layers.CommandInputs.signature``); the clear functions of every layer drop it too.
CLI_ANSWER_KEY = "inspector:cli-answer"
CLI_SIGNATURE_KEY = "inspector:cli-answer:signature"


def forget_cli_answer() -> None:
    """Drop the CLI's kept answer: its next run computes every layer."""
    cache = shared_cache()
    if cache is not None:
        with contextlib.suppress(Exception):
            cache.delete_many([CLI_ANSWER_KEY, CLI_SIGNATURE_KEY])


def _snapshot_key() -> str:
    """Return the cache key of the configured storage's listing (the settings it depends on)."""
    digest = hashlib.md5(params_key().encode(), usedforsecurity=False).hexdigest()
    return f"inspector:snapshot:{digest}"


def _kept(key: str, remote: bool) -> Snapshot | None:
    with _snapshots_lock:
        kept = _snapshots.get(key)
    if kept is None and remote:
        cache = shared_cache()
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
        cache = shared_cache()
        if cache is not None:
            # Too large for the backend (memcached's 1 MB), or the cache is down: kept here only.
            with contextlib.suppress(Exception):
                cache.set(key, snapshot, timeout=int(get_config()["REMOTE_MAX_AGE"]) or None)
    return snapshot


def _timed(storage: Any, s3_client: Any = None) -> Snapshot:
    started = time.monotonic()
    snapshot = take_snapshot(storage, s3_client)
    snapshot.duration = time.monotonic() - started
    return snapshot


def _remote_snapshot(storage: Any, key: str, timeout: float) -> Snapshot:
    result: list[Snapshot] = []
    client = None
    if is_s3(storage):
        try:  # boto3 clients, unlike django-storages' per-thread resources, are thread-safe
            client = storage.connection.meta.client
        except Exception as exc:
            return Snapshot(errors=[f"cannot connect to {describe(storage)}: {exc}"])

    def run() -> None:
        snapshot = _timed(storage, client)
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
