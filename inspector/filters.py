"""Selecting paths: the filters the CLI, the dashboard and ``--fail-on`` share."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .inventory import PathRecord

if TYPE_CHECKING:
    from .layers import Layers


@dataclass(frozen=True, slots=True)
class PathFilter:
    """A conjunction of criteria; an empty criterion matches everything."""

    statuses: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    live_statuses: frozenset[str] = frozenset()
    globs: tuple[str, ...] = ()
    manifest_statuses: frozenset[str] = frozenset()

    def matches(self, record: PathRecord, layers: Layers | None = None) -> bool:
        if self.statuses and record.status not in self.statuses:
            return False
        if self.flags and not self.flags.intersection(record.flags):
            return False
        # A layer that was not computed gives no path a status to match.
        if self.live_statuses and (
            layers is None or layers.live_status(record.path) not in self.live_statuses
        ):
            return False
        if self.manifest_statuses and (
            layers is None or layers.manifest_status(record.path) not in self.manifest_statuses
        ):
            return False
        return not self.globs or any(fnmatch.fnmatchcase(record.path, g) for g in self.globs)

    def apply(
        self, records: Iterable[PathRecord], layers: Layers | None = None
    ) -> Iterator[PathRecord]:
        return (record for record in records if self.matches(record, layers))


def words_of(record: PathRecord, layers: Layers | None = None) -> set[str]:
    """Return every vocabulary word that describes ``record``: its status and flags, its
    manifest status and the kinds of its manifest findings, its live and served statuses."""
    return _words(record, layers, _finding_words(layers))


def failing(
    records: Iterable[PathRecord],
    fail_on: Collection[str],
    layers: Layers | None = None,
) -> list[PathRecord]:
    """Return the records carrying any of the ``fail_on`` words."""
    wanted = set(fail_on)
    findings = _finding_words(layers)
    return [record for record in records if wanted & _words(record, layers, findings)]


def _finding_words(layers: Layers | None) -> dict[str, set[str]]:
    # Grouped once per call: a manifest's findings are few, its paths many.
    words: dict[str, set[str]] = {}
    manifest = layers.manifest if layers is not None else None
    for finding in manifest.findings if manifest is not None else ():
        words.setdefault(finding.path, set()).add(str(finding.kind))
    return words


def _words(record: PathRecord, layers: Layers | None, findings: dict[str, set[str]]) -> set[str]:
    words = {str(record.status), *map(str, record.flags)}
    if layers is not None:
        path = record.path
        for word in (
            layers.manifest_status(path),
            layers.live_status(path),
            layers.served_status(path),
        ):
            if word is not None:
                words.add(word)
        words.update(findings.get(record.path, ()))
    return words
