"""Which layers a toolbar request is answered from.

Checking every source file and listing the collected storage on every request would cost each
request a re-stat of every source file (the built-in StaticFilesPanel's cost). Instead a request
takes the kept layers at once (``current_layers(stale_ok=True)``, which re-checks the rest in the
background, rate-limited), and checks in the foreground only when a file it used, or the local
manifest, changed since those layers were checked.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation

from ..core.freshness import page_max_age
from ..core.layers import Layers, current_layers


def layers_for_request(paths: Iterable[str]) -> Layers:
    """Return layers that are current for every one of ``paths``."""
    layers = current_layers(max_age=page_max_age(), stale_ok=True)
    if _changed(layers, paths):
        layers = current_layers()
    return layers


def _changed(layers: Layers, paths: Iterable[str]) -> bool:
    """Return True if a file behind one of ``paths``, or the manifest, changed since ``layers``."""
    if _manifest_changed(layers):
        return True
    inventory = layers.inventory
    for path in paths:
        record = inventory.get(path)
        if record is None:
            if _findable(path):  # added since: the kept layers cannot answer for it
                return True
            continue
        for candidate in record.candidates:
            if candidate.stamp is None:
                continue  # a custom finder's file with no local path: nothing to stat
            try:
                if candidate.stamp.now() != candidate.stamp:
                    return True
            except OSError:
                return True
    return False


def _manifest_changed(layers: Layers) -> bool:
    """Return True if the local manifest file changed since the layers read it."""
    stamp = layers.manifest.manifest_stamp
    if stamp is None:
        return False  # no local manifest: only the background check reads a remote one
    try:
        return stamp.now() != stamp
    except OSError:
        return stamp.size != -1  # gone since, unless it was absent then too


def _findable(path: str) -> bool:
    try:
        return bool(finders.find(path))
    except (SuspiciousFileOperation, ValueError):
        return False
