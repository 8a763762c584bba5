"""How old an answer a caller accepts: the one freshness rule of every client.

Pages and the toolbar panel accept ``page_max_age()``; the CLI and the collection worker accept
nothing older than their own call (``NOW``). Local checks (the sources, a collected folder) are
cheap and follow ``local``; a remote storage's listing costs requests and follows ``remote``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..conf import get_config


@dataclass(frozen=True, slots=True)
class MaxAge:
    """Seconds an answer may be old: for local checks, and for a remote storage's listing."""

    local: float = 0.0
    remote: float = 0.0

    def of_listing(self, remote: bool) -> float:
        """Return how old a listing of a (remote or local) storage may be."""
        return self.remote if remote else self.local


NOW = MaxAge()


def page_max_age() -> MaxAge:
    """Return what a page accepts: ``RECHECK_SECONDS``, and ``REMOTE_MAX_AGE`` for a remote
    listing (never less than the local figure)."""
    config = get_config()
    local = float(config["RECHECK_SECONDS"])
    return MaxAge(local, max(local, float(config["REMOTE_MAX_AGE"])))
