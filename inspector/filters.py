"""Selecting paths: the filters the CLI, the dashboard and ``--fail-on`` share."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .inventory import PathRecord

if TYPE_CHECKING:
    from .manifest import ManifestReport


@dataclass(frozen=True, slots=True)
class PathFilter:
    """A conjunction of criteria; an empty criterion matches everything."""

    statuses: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    live_statuses: frozenset[str] = frozenset()
    globs: tuple[str, ...] = ()
    manifest_statuses: frozenset[str] = frozenset()

    def matches(self, record: PathRecord, manifest: ManifestReport | None = None) -> bool:
        if self.statuses and record.status not in self.statuses:
            return False
        if self.flags and not self.flags.intersection(record.flags):
            return False
        # The live layer is not computed yet: no path has a live status to match.
        if self.live_statuses:
            return False
        # Without a computed manifest layer no path has a manifest status to match.
        if self.manifest_statuses and (
            manifest is None or manifest.status_of(record.path) not in self.manifest_statuses
        ):
            return False
        return not self.globs or any(fnmatch.fnmatchcase(record.path, g) for g in self.globs)

    def apply(
        self, records: Iterable[PathRecord], manifest: ManifestReport | None = None
    ) -> Iterator[PathRecord]:
        return (record for record in records if self.matches(record, manifest))


def words_of(record: PathRecord, manifest: ManifestReport | None = None) -> set[str]:
    """Return every vocabulary word that describes ``record`` (status, flags, later layers).

    The manifest layer adds the path's manifest status and the kinds of its manifest findings.
    """
    return _words(record, manifest, _finding_words(manifest))


def failing(
    records: Iterable[PathRecord],
    fail_on: Collection[str],
    manifest: ManifestReport | None = None,
) -> list[PathRecord]:
    """Return the records carrying any of the ``fail_on`` words."""
    wanted = set(fail_on)
    findings = _finding_words(manifest)
    return [record for record in records if wanted & _words(record, manifest, findings)]


def _finding_words(manifest: ManifestReport | None) -> dict[str, set[str]]:
    # Grouped once per call: a manifest's findings are few, its paths many.
    words: dict[str, set[str]] = {}
    for finding in manifest.findings if manifest is not None else ():
        words.setdefault(finding.path, set()).add(str(finding.kind))
    return words


def _words(
    record: PathRecord, manifest: ManifestReport | None, findings: dict[str, set[str]]
) -> set[str]:
    words = {str(record.status), *map(str, record.flags)}
    if manifest is not None:
        words.add(str(manifest.status_of(record.path)))
        words.update(findings.get(record.path, ()))
    return words
