"""Cooldowns of the expensive POSTs: a re-check of one storage, a probe of one set of paths.

Both cost remote requests (a new listing of a bucket, up to ``PROBE_BUDGET`` of HTTP), and any
viewer may ask for them; so each may run once per ``COOLDOWN_SECONDS`` whoever asks, in every
process that shares ``CACHE``. The page says when the next is allowed.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from ..conf import get_config, shared_cache
from ..core import caches
from ..core.storage.instance import params_key
from ..served.targets import probe_setup_problem

_KEY = "inspector:cooldown:"
# Without a shared cache the cooldown holds in this process only.
_local: dict[str, float] = {}
_local_lock = threading.Lock()
caches.register(
    "cooldowns", _local.clear, fresh_while="each entry says until when its action waits"
)


def recheck_key() -> str:
    """Return the key of the collected storage: one cooldown per storage configuration."""
    digest = hashlib.md5(params_key().encode(errors="surrogateescape"), usedforsecurity=False)
    return "recheck:" + digest.hexdigest()


def probe_key(paths: Iterable[str]) -> str:
    """Return the key of one set of paths, in any order."""
    joined = "\0".join(sorted(set(paths))).encode(errors="surrogateescape")
    return "probe:" + hashlib.md5(joined, usedforsecurity=False).hexdigest()


def seconds_left(key: str) -> int:
    """Return how many whole seconds until the action of ``key`` is allowed again (0: now)."""
    until = _until(key)
    return max(0, math.ceil(until - time.time())) if until is not None else 0


@dataclass(frozen=True, slots=True)
class ProbeState:
    """What a page says next to its probe button: why it cannot probe, or how long to wait."""

    problem: str | None
    wait: int


def probe_state(paths: Iterable[str]) -> ProbeState:
    return ProbeState(probe_setup_problem(), seconds_left(probe_key(paths)))


def take(key: str) -> float:
    """Start the cooldown of ``key`` and return 0, or return the seconds left if it runs."""
    seconds = float(get_config()["COOLDOWN_SECONDS"])
    if seconds <= 0:
        return 0.0
    until = time.time() + seconds
    cache = shared_cache()
    if cache is not None:
        try:
            # add() is atomic: of two processes asking at once, one gets the action.
            if cache.add(_KEY + key, until, timeout=seconds):
                return 0.0
            return seconds_left(key) or seconds
        except Exception:  # a cache that is down: this process still holds its own cooldown
            pass
    with _local_lock:
        left = _local.get(key, 0.0) - time.time()
        if left > 0:
            return left
        _local[key] = until
    return 0.0


def _until(key: str) -> float | None:
    cache = shared_cache()
    if cache is not None:
        try:
            found = cache.get(_KEY + key)
        except Exception:
            found = None
        if isinstance(found, float):
            return found
    with _local_lock:
        return _local.get(key)
