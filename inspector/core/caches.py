"""Every process-level cache of the inspector, registered in one place and reset together.

A module that keeps anything between calls registers it here with the function that empties it
and what proves its contents fresh. ``clear()`` empties every one of them; the one
``setting_changed`` receiver below calls it when a setting the inspector reads changes (tests,
mostly), and a finished collection calls it too (``collection.runs``). Nothing else resets a
cache, so a new cache cannot be forgotten by one of several reset functions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from ..conf import get_config


@dataclass(frozen=True, slots=True)
class Registered:
    """One process cache: its name, how to empty it, and what proves an entry still true."""

    name: str
    clear: Callable[[], None]
    fresh_while: str


_registry: dict[str, Registered] = {}
_lock = threading.Lock()

# Settings the inspector's answers are built from. whitenoise reads its own WHITENOISE_*
# settings when a storage is built (strictness, compression), so they count too.
WATCHED_SETTINGS = frozenset(
    {
        "ASSET_INSPECTOR",
        "CACHES",
        "FORCE_SCRIPT_NAME",
        "INSTALLED_APPS",
        "STATICFILES_DIRS",
        "STATICFILES_FINDERS",
        "STATIC_ROOT",
        "STATIC_URL",
        "STORAGES",
        "TEMPLATES",
    }
)


def register(name: str, clear: Callable[[], None], *, fresh_while: str) -> None:
    """Register the cache ``name``; registering a name again replaces it (module reloads)."""
    with _lock:
        _registry[name] = Registered(name, clear, fresh_while)


def registered() -> tuple[Registered, ...]:
    """Return every registered cache, in registration order."""
    with _lock:
        return tuple(_registry.values())


# The settings themselves are the innermost layer (``inspector.conf``, like ``django.conf``):
# their cache is registered here, so that nothing there imports the core.
register("config", get_config.cache_clear, fresh_while="the ASSET_INSPECTOR setting is unchanged")


# A process that checks once and then exits (a command run from the command line) keeps nothing
# that only a later check of the same process would use: it would only raise the run's peak.
_later_checks = True


def checks_once(once: bool = True) -> None:
    """Say that this process checks once and exits (``once``): ``for_later()`` is then False."""
    global _later_checks
    _later_checks = not once


def for_later() -> bool:
    """Return True if what serves only a later check of this process is worth keeping: the
    rewrites a re-check reuses, the listings it re-lists only the changed folders of."""
    return _later_checks


def clear() -> None:
    """Empty every registered cache of this process (shared caches keep their own entries)."""
    for entry in registered():
        entry.clear()


def is_watched(setting: str) -> bool:
    """Return True if a change of ``setting`` can change an answer of the inspector."""
    return setting in WATCHED_SETTINGS or setting.startswith("WHITENOISE_")


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if is_watched(setting):
        clear()
