"""Selecting rows: the filters the CLI and the dashboard share, and what ``--fail-on`` fails on."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

from .layers import Layers
from .records import PathRecord
from .status import LiveStatus, ManifestFinding, ManifestStatus, all_values


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


class UnknownWords(ValueError):
    """``--fail-on`` named words that are not in the vocabulary."""


def parse_fail_on(value: str) -> frozenset[str]:
    """Return the comma-separated words of ``value``; raise ``UnknownWords`` naming the bad."""
    words = frozenset(w.strip() for w in value.split(",") if w.strip())
    unknown = sorted(words - all_values())
    if unknown:
        raise UnknownWords(
            f"unknown word(s) {', '.join(unknown)}. Known: {', '.join(sorted(all_values()))}."
        )
    return words


_MANIFEST_WORDS = frozenset(str(s) for s in ManifestStatus) | {str(f) for f in ManifestFinding}
_LIVE_WORDS = frozenset(str(s) for s in LiveStatus)


def failures(
    layers: Layers,
    records: Sequence[PathRecord],
    path_filter: PathFilter,
    fail_on: frozenset[str],
) -> list[str]:
    """Return what fails ``fail_on`` among ``records`` (the rows a filter selected): each
    failing path, then the paths only the manifest still names, then a layer that could not
    be checked at all (a manifest word fails on an unreadable manifest, a live word on a
    storage that could not be listed)."""
    if not fail_on:
        return []
    matched = [r.path for r in failing(records, fail_on, layers)]
    manifest = layers.manifest
    for path in manifest.paths():
        if layers.get(path) is not None:
            continue
        if path_filter.globs and not any(fnmatch.fnmatchcase(path, g) for g in path_filter.globs):
            continue
        entry = manifest.entry(path)
        if fail_on & ({str(entry.status)} | {str(f.kind) for f in entry.findings}):
            matched.append(path)
    if manifest.problems and fail_on & _MANIFEST_WORDS:
        matched.append(f"(manifest: {manifest.problems[0]})")
    live = layers.live
    if live is not None and not live.checked and fail_on & _LIVE_WORDS:
        matched.append(f"(live: {live.problems[0] if live.problems else '?'})")
    return matched
