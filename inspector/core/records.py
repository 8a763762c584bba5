"""The sources layer's records: one per static path, with its candidates, and the inventory.

Immutable values: every client (pages, CLI, panel, worker) may hold them across threads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, KeysView
from dataclasses import dataclass, field

from .fingerprints import FileStamp
from .sources import Source
from .status import Flag, SourceStatus


@dataclass(frozen=True, slots=True)
class Candidate:
    """One file that could be served at a path, from one source."""

    source: str
    # Where the file is when its stamp does not say (None: ``stamp.location``): a custom
    # finder's file with no local path is named by its finder.
    where: str | None
    # Filled where the status needed it (sizes collided); ``rows.candidate_md5`` computes others.
    md5: str | None
    identical_to_winner: bool | None
    collectable: bool
    stamp: FileStamp | None = field(default=None, repr=False)
    # The real file when a symlink leading out of the source folder is on the way (followed,
    # as Django follows it): where the bytes come from.
    symlink: str | None = None

    @property
    def size(self) -> int | None:
        """Return the file's size in bytes, if it is a local file."""
        return self.stamp.size if self.stamp is not None else None

    @property
    def mtime_ns(self) -> int | None:
        """Return when the file was last written (ns since the epoch), if it is a local file."""
        return self.stamp.mtime_ns if self.stamp is not None else None

    @property
    def location(self) -> str:
        """Return the file's path, or the finder that names a file with no local path."""
        if self.where is not None:
            return self.where
        assert self.stamp is not None  # a candidate is made with one or the other
        return self.stamp.location


@dataclass(frozen=True, slots=True, init=False)
class PathRecord:
    """Everything the sources say about one static path."""

    path: str
    status: SourceStatus
    flags: tuple[Flag, ...]
    # Development precedence (what ``finders.find`` returns first): the winner (None: no source
    # has the path), then the candidates it shadows. Kept apart, so that a path with one
    # candidate, most of them, holds no tuple of its own.
    winner: Candidate | None
    shadowed: tuple[Candidate, ...]
    # Index in ``candidates`` of the file collectstatic takes, None if it takes none.
    collect_index: int | None
    errors: tuple[str, ...]
    # Why a flag holds where its word alone would mislead (a folder listed twice).
    notes: tuple[str, ...]

    def __init__(
        self,
        path: str,
        status: SourceStatus,
        flags: tuple[Flag, ...],
        candidates: tuple[Candidate, ...],
        collect_index: int | None,
        errors: tuple[str, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> None:
        put = object.__setattr__  # frozen: as the generated __init__ sets its fields
        put(self, "path", path)
        put(self, "status", status)
        put(self, "flags", flags)
        put(self, "winner", candidates[0] if candidates else None)
        put(self, "shadowed", candidates[1:])
        put(self, "collect_index", collect_index)
        put(self, "errors", errors)
        put(self, "notes", notes)

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """Return every candidate, winner first."""
        return (self.winner, *self.shadowed) if self.winner is not None else ()

    @property
    def collect_winner(self) -> Candidate | None:
        if self.collect_index is None:
            return None
        return self.winner if self.collect_index == 0 else self.shadowed[self.collect_index - 1]


def orphan_record(path: str) -> PathRecord:
    """Return the row of a path only the collected storage has (design.md: status ``absent``)."""
    return PathRecord(path, SourceStatus.ABSENT, (), (), None)


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """A source with its totals: how many files, bytes, and paths it wins or loses."""

    source: Source
    files: int
    bytes: int
    wins: int
    loses: int
    errors: tuple[str, ...]
    # A finder whose storage lives in STATIC_ROOT (``core.generators``): its outputs are sources.
    generator: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the inventory could not check, and where."""

    message: str
    source: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class Inventory:
    """Every static path the finders can see, sorted by path."""

    paths: tuple[PathRecord, ...]
    sources: tuple[SourceSummary, ...]
    problems: tuple[Problem, ...]
    built_at: float
    _by_path: dict[str, PathRecord] = field(repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._by_path.update((record.path, record) for record in self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[PathRecord]:
        return iter(self.paths)

    def get(self, path: str) -> PathRecord | None:
        """Return the record for ``path``, or None if no source has it."""
        return self._by_path.get(path)

    @property
    def known_paths(self) -> KeysView[str]:
        """Every path a source has, for membership tests in C (a view: no copy)."""
        return self._by_path.keys()

    def counts(self) -> Counter[str]:
        """Return how many paths carry each status and each flag."""
        counter: Counter[str] = Counter()
        for record in self.paths:
            counter[record.status] += 1
            counter.update(record.flags)
        return counter
