"""The app's settings: one ``ASSET_INSPECTOR`` dict merged over ``DEFAULTS``."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.locmem import LocMemCache

DEFAULTS: dict[str, Any] = {
    # Cache alias used to share folder listings and content fingerprints between processes
    # (web workers, CLI runs).
    # None disables the shared layer; the in-process memory cache always applies.
    "CACHE": "default",
    # Only files at least this large go through the shared cache: for smaller ones a cache
    # round-trip costs more than reading and hashing the bytes again.
    "SHARED_CACHE_MIN_BYTES": 256 * 1024,
    # Seconds a shared fingerprint or folder listing is kept; keys and checks include size and
    # mtimes, so a kept entry is never trusted for a changed file.
    "CACHE_TIMEOUT": 7 * 24 * 3600,
    # Files larger than this are never hashed: their status is decided by size alone.
    "MAX_HASH_BYTES": 64 * 1024 * 1024,
    # Processes that hash many files at once (a cold check): None, one per core; 1, none (this
    # process hashes). They are spawned, so a script that runs a check must guard its main.
    "HASH_PROCESSES": None,
    # Pages (and the toolbar panel) reuse a check of the file system younger than this many
    # seconds instead of re-reading every file's stat; the CLI always checks. 0 checks every time.
    "RECHECK_SECONDS": 2.0,
    # Rows per page of the paths table (``?per_page=`` may ask for up to MAX_PAGE_SIZE).
    "PAGE_SIZE": 50,
    "MAX_PAGE_SIZE": 500,
    # Text files larger than this are not diffed on the detail page; a diff stops after
    # DIFF_MAX_LINES lines.
    "DIFF_MAX_BYTES": 512 * 1024,
    "DIFF_MAX_LINES": 2000,
    # Images up to this size are previewed inline on the detail page.
    "PREVIEW_MAX_BYTES": 1024 * 1024,
    # Seconds any request to a remote storage or a served URL may take; a page never waits on
    # a remote listing longer than this.
    "TIMEOUT": 10.0,
    # Seconds a remote storage's listing is reused by pages before it is taken again (the
    # dashboard's "Re-check now" takes it at once; the CLI always does).
    "REMOTE_MAX_AGE": 300.0,
    # Storages without a fast listing are walked folder by folder up to this many files.
    "GENERIC_MAX_FILES": 20_000,
    # Where a listing carries no usable md5 (multipart ETags, gzipped objects), up to this many
    # bytes of collected copies are read to compare them; the rest are reported unknown.
    "LIVE_READ_MAX_BYTES": 64 * 1024 * 1024,
    # The served probe: parallel requests and the seconds one run may take in all.
    "PROBE_CONCURRENCY": 4,
    "PROBE_BUDGET": 30.0,
    # Where the site is served (e.g. "https://www.example.com"): the dashboard's probe joins a
    # relative STATIC_URL to it. Never taken from a request, whose Host a client chooses.
    "BASE_URL": None,
    # Seconds between two "Re-check now" of one storage, and two probes of one set of paths,
    # from any user and any process sharing CACHE: both cost remote requests.
    "COOLDOWN_SECONDS": 10.0,
    # Collection runs (the "Collect" pages): the tasks backend alias and queue the run is
    # enqueued on; how often a running collection says it is alive; and after how many silent
    # seconds a run counts as dead (its worker killed) and is marked failed, releasing the lock.
    "TASK_BACKEND": "default",
    "TASK_QUEUE": "default",
    "HEARTBEAT_SECONDS": 2.0,
    "HEARTBEAT_TIMEOUT": 60.0,
    # The references scan reads no file larger than this (an enormous minified bundle): such a
    # file is reported as not scanned.
    "REFERENCES_MAX_BYTES": 4 * 1024 * 1024,
    # Findings the team means: rules like {"path": "admin/*", "status": "conflict",
    # "reason": "our admin theme"} (design.md, "Severity and accepted findings").
    "ACCEPT": [],
}


_NUMBER = (int, float)
# The type each option must have; ``checks`` reports any other (``manage.py check``).
TYPES: dict[str, type | tuple[type, ...]] = {
    "CACHE": (str, type(None)),
    "SHARED_CACHE_MIN_BYTES": int,
    "CACHE_TIMEOUT": _NUMBER,
    "MAX_HASH_BYTES": int,
    "HASH_PROCESSES": (int, type(None)),
    "RECHECK_SECONDS": _NUMBER,
    "PAGE_SIZE": int,
    "MAX_PAGE_SIZE": int,
    "DIFF_MAX_BYTES": int,
    "DIFF_MAX_LINES": int,
    "PREVIEW_MAX_BYTES": int,
    "TIMEOUT": _NUMBER,
    "REMOTE_MAX_AGE": _NUMBER,
    "GENERIC_MAX_FILES": int,
    "LIVE_READ_MAX_BYTES": int,
    "PROBE_CONCURRENCY": int,
    "PROBE_BUDGET": _NUMBER,
    "BASE_URL": (str, type(None)),
    "COOLDOWN_SECONDS": _NUMBER,
    "TASK_BACKEND": str,
    "TASK_QUEUE": str,
    "HEARTBEAT_SECONDS": _NUMBER,
    "HEARTBEAT_TIMEOUT": _NUMBER,
    "REFERENCES_MAX_BYTES": int,
    "ACCEPT": (list, tuple),
}


def user_config() -> dict[str, Any]:
    """Return the ``ASSET_INSPECTOR`` setting as the project wrote it (no defaults)."""
    user = getattr(settings, "ASSET_INSPECTOR", None) or {}
    return dict(user) if isinstance(user, dict) else {}


def config_problems() -> list[str]:
    """Return what is wrong with ``ASSET_INSPECTOR``: unknown keys, values of the wrong type
    or out of range. Checked by ``manage.py check``, so no command fails later with a traceback."""
    raw = getattr(settings, "ASSET_INSPECTOR", None)
    if raw is not None and not isinstance(raw, dict):
        return [f"ASSET_INSPECTOR must be a dict, not {type(raw).__name__}"]
    user = user_config()
    problems = []
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        problems.append(
            f"unknown ASSET_INSPECTOR option(s): {', '.join(unknown)}. "
            f"Known options: {', '.join(sorted(DEFAULTS))}"
        )
    for key, value in user.items():
        wanted = TYPES.get(key)
        if wanted is None:
            continue
        types = wanted if isinstance(wanted, tuple) else (wanted,)
        if isinstance(value, bool) or not isinstance(value, types):
            names = " or ".join("None" if t is type(None) else t.__name__ for t in types)
            problems.append(f"ASSET_INSPECTOR[{key!r}] must be {names}, not {value!r}")
        elif isinstance(value, int | float) and value < 0:
            problems.append(f"ASSET_INSPECTOR[{key!r}] must not be negative, not {value!r}")
    base_url = user.get("BASE_URL")
    if isinstance(base_url, str) and not base_url.startswith(("http://", "https://")):
        problems.append(f"ASSET_INSPECTOR['BASE_URL'] must be an http(s) URL, not {base_url!r}")
    return problems


@functools.cache
def get_config() -> dict[str, Any]:
    """Return the defaults updated with the user's ``ASSET_INSPECTOR`` setting.

    Raises ``ImproperlyConfigured`` for a setting ``config_problems()`` rejects: the system
    checks say so first, with every problem at once.
    """
    problems = config_problems()
    if problems:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(problems[0] + ".")
    return {**DEFAULTS, **user_config()}


def shared_cache() -> BaseCache | None:
    """Return the cache that processes share fingerprints and listings through, if any."""
    alias = get_config()["CACHE"]
    return caches[alias] if alias else None


def cross_process_cache() -> BaseCache | None:
    """Return ``shared_cache()`` unless it lives in this process only (a locmem cache): what a
    process already keeps in memory (fingerprints, source and remote listings) would be kept
    there twice, at the cost of a pickle per entry."""
    cache = shared_cache()
    return None if isinstance(cache, LocMemCache) else cache
