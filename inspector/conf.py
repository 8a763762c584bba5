"""The app's settings: one ``ASSET_INSPECTOR`` dict merged over ``DEFAULTS``."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Cache alias used to share content fingerprints between processes (web workers, CLI runs).
    # None disables the shared layer; the in-process memory cache always applies.
    "CACHE": "default",
    # Seconds a shared fingerprint is kept; keys include size and mtime, so staleness is not a risk.
    "CACHE_TIMEOUT": 7 * 24 * 3600,
    # Files larger than this are never hashed: their status is decided by size alone.
    "MAX_HASH_BYTES": 64 * 1024 * 1024,
}


@functools.cache
def get_config() -> dict[str, Any]:
    """Return the defaults updated with the user's ``ASSET_INSPECTOR`` setting."""
    user = getattr(settings, "ASSET_INSPECTOR", {}) or {}
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"Unknown ASSET_INSPECTOR option(s): {', '.join(unknown)}. "
            f"Known options: {', '.join(sorted(DEFAULTS))}."
        )
    return {**DEFAULTS, **user}
