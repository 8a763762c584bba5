"""Selecting paths: the filters the CLI, the dashboard and ``--fail-on`` share."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from .inventory import PathRecord


@dataclass(frozen=True, slots=True)
class PathFilter:
    """A conjunction of criteria; an empty criterion matches everything."""

    statuses: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    live_statuses: frozenset[str] = frozenset()
    globs: tuple[str, ...] = ()

    def matches(self, record: PathRecord) -> bool:
        if self.statuses and record.status not in self.statuses:
            return False
        if self.flags and not self.flags.intersection(record.flags):
            return False
        # The live layer is not computed yet: no path has a live status to match.
        if self.live_statuses:
            return False
        return not self.globs or any(fnmatch.fnmatchcase(record.path, g) for g in self.globs)

    def apply(self, records: Iterable[PathRecord]) -> Iterator[PathRecord]:
        return (record for record in records if self.matches(record))


def words_of(record: PathRecord) -> set[str]:
    """Return every vocabulary word that describes ``record`` (status, flags, later layers)."""
    return {str(record.status), *map(str, record.flags)}


def failing(records: Iterable[PathRecord], fail_on: Collection[str]) -> list[PathRecord]:
    """Return the records carrying any of the ``fail_on`` words."""
    wanted = set(fail_on)
    return [record for record in records if wanted & words_of(record)]
