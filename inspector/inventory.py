"""The inventory: one immutable record per static path, built from every source of every finder.

``get_inventory()`` is the one entry point the CLI, the views, the panel and the checks use. It
keeps the last result per process and, on the next call, re-lists only the sources whose folders
changed and re-stats every file, so an unchanged tree costs a few stat calls per file and an edited,
added or removed file shows up without a restart.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.staticfiles import finders

from . import fingerprints
from .conf import get_config
from .fingerprints import FileStamp
from .sources import (
    ListedFile,
    Source,
    SourceListing,
    configured_finders,
    list_sources,
    probe_finder,
)
from .status import Flag, SourceStatus
from .utils import paused_gc


@dataclass(frozen=True, slots=True)
class Candidate:
    """One file that could be served at a path, from one source."""

    source: str
    location: str
    size: int | None
    mtime_ns: int | None
    # md5 is filled where the status needed it (sizes collided); see ``inspector.report``.
    md5: str | None
    identical_to_winner: bool | None
    collectable: bool
    stamp: FileStamp | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class PathRecord:
    """Everything the sources say about one static path."""

    path: str
    status: SourceStatus
    flags: tuple[Flag, ...]
    # Development precedence (what ``finders.find`` returns first), winner first.
    candidates: tuple[Candidate, ...]
    # Index in ``candidates`` of the file collectstatic takes, None if it takes none.
    collect_index: int | None
    errors: tuple[str, ...] = ()

    @property
    def winner(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def collect_winner(self) -> Candidate | None:
        return None if self.collect_index is None else self.candidates[self.collect_index]

    @property
    def shadowed(self) -> tuple[Candidate, ...]:
        return self.candidates[1:]


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """A source with its totals: how many files, bytes, and paths it wins or loses."""

    source: Source
    files: int
    bytes: int
    wins: int
    loses: int
    errors: tuple[str, ...]


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

    def counts(self) -> Counter[str]:
        """Return how many paths carry each status and each flag."""
        counter: Counter[str] = Counter()
        for record in self.paths:
            counter[record.status] += 1
            counter.update(record.flags)
        return counter


@dataclass
class _State:
    key: tuple[object, ...] = ()
    listings: list[SourceListing] = field(default_factory=list)
    stamps: dict[str, FileStamp | None] = field(default_factory=dict)
    inventory: Inventory | None = None
    racy: bool = True
    # time.monotonic() of the last walk that validated ``inventory`` against the file system.
    checked_at: float = float("-inf")


_state = _State()
_lock = threading.Lock()


@dataclass(frozen=True)
class SourceCheck:
    """Every source listed and every listed file stat'ed at one moment: an inventory's inputs.

    The CLI compares these with its previous run's before deciding whether to build anything.
    """

    listings: list[SourceListing]
    stamps: dict[str, FileStamp | None]
    problems: list[Problem]
    now_ns: int
    started: float  # time.monotonic() when the check began

    @property
    def racy(self) -> bool:
        """Return True if a file changed too recently for its stamp to prove it unchanged."""
        return any(s is not None and s.is_racy(self.now_ns) for s in self.stamps.values())


def get_inventory(*, refresh: bool = False, max_age: float = 0.0) -> Inventory:
    """Return the inventory of every static path as the finders see it now.

    ``max_age`` accepts an inventory checked against the file system at most that many seconds
    ago without checking again: a page and the htmx swaps that follow it cost one walk, not one
    each. ``refresh`` forgets everything and starts cold.
    """
    with _lock:
        _sync_finders(refresh)
        if _state.inventory is not None and time.monotonic() - _state.checked_at < max_age:
            return _state.inventory
        return _inventory_from(_check())


def recent_inventory() -> Inventory:
    """Return the inventory for a page: reused while younger than ``RECHECK_SECONDS``."""
    return get_inventory(max_age=get_config()["RECHECK_SECONDS"])


def clear_inventory_cache() -> None:
    """Forget the last inventory and listings of this process (the next call starts cold)."""
    with _lock:
        _state.__init__()  # type: ignore[misc]


def check_sources() -> SourceCheck:
    """List every source and stat every file now, without building an inventory."""
    with _lock:
        _sync_finders(False)
        return _check()


def inventory_from(check: SourceCheck) -> Inventory:
    """Return the inventory of ``check``: the last one if nothing changed, else a new one."""
    with _lock:
        # Finders replaced since the check (settings changed) start from a clean state; the
        # check's own listings still describe one consistent moment.
        _sync_finders(False)
        return _inventory_from(check)


def _sync_finders(refresh: bool) -> None:
    """Start from a clean state when asked to, or when the configured finders were replaced."""
    key = tuple(id(f) for _, f in configured_finders())
    if refresh or key != _state.key:
        _state.__init__()  # type: ignore[misc]
        _state.key = key


def _check() -> SourceCheck:
    started = time.monotonic()
    listings = list_sources(_state.listings)
    now_ns = time.time_ns()
    stamps, problems = _stat_all(listings)
    return SourceCheck(listings, stamps, problems, now_ns, started)


def _inventory_from(check: SourceCheck) -> Inventory:
    listings, stamps = check.listings, check.stamps
    same_listings = len(listings) == len(_state.listings) and all(
        a is b for a, b in zip(listings, _state.listings, strict=True)
    )
    unchanged = same_listings and not _state.racy and stamps == _state.stamps
    _state.checked_at = check.started
    if _state.inventory is not None and unchanged:
        return _state.inventory
    with paused_gc():
        inventory = _build(listings, stamps, list(check.problems))
    _state.listings, _state.stamps, _state.inventory = listings, stamps, inventory
    _state.racy = check.racy
    return inventory


def _stat_all(
    listings: list[SourceListing],
) -> tuple[dict[str, FileStamp | None], list[Problem]]:
    stamps: dict[str, FileStamp | None] = {}
    problems: list[Problem] = []
    for listing in listings:
        for listed in listing.files:
            if listed.location is None or listed.location in stamps:
                continue
            try:
                stamps[listed.location] = FileStamp.of(listed.location)
            except OSError as exc:
                stamps[listed.location] = None
                problems.append(
                    Problem(
                        f"listed but gone when read ({exc.strerror or exc}): "
                        "deleted while the walk ran?",
                        listing.source.label,
                        listed.path,
                    )
                )
    return stamps, problems


# Per path, (source index, candidate): probed candidates arrive late but take their finder's place.
_Drafts = dict[str, list[tuple[int, Candidate]]]


def _build(
    listings: list[SourceListing],
    stamps: dict[str, FileStamp | None],
    problems: list[Problem],
) -> Inventory:
    drafts: _Drafts = {}
    for listing in listings:
        source = listing.source
        for listed in listing.files:
            stamp = stamps.get(listed.location) if listed.location else None
            if listed.location is not None and stamp is None:
                continue  # vanished: reported as a problem by _stat_all
            entry = (source.index, _candidate(source, listed, stamp))
            ranked = drafts.get(listed.path)
            if ranked is None:
                drafts[listed.path] = [entry]
            else:
                ranked.append(entry)
    problems = problems + _probe_custom_finders(listings, drafts)
    for listing in listings:
        problems.extend(Problem(e, listing.source.label) for e in listing.errors)

    digests = fingerprints.md5_many(_stamps_to_compare(drafts))
    records = [_record(path, drafts[path], digests) for path in sorted(drafts)]
    problems.extend(Problem(e, path=r.path) for r in records for e in r.errors)
    return Inventory(
        paths=tuple(records),
        sources=tuple(_summaries(listings, records, problems)),
        problems=tuple(problems),
        built_at=time.time(),
    )


def _candidate(source: Source, listed: ListedFile, stamp: FileStamp | None) -> Candidate:
    return Candidate(
        source=source.label,
        location=listed.location or source.finder,
        size=stamp.size if stamp else None,
        mtime_ns=stamp.mtime_ns if stamp else None,
        md5=None,
        # True for whoever ends up the winner; rivals are decided in _record.
        identical_to_winner=True,
        collectable=listed.collectable,
        stamp=stamp,
    )


def _probe_custom_finders(listings: list[SourceListing], drafts: _Drafts) -> list[Problem]:
    """Ask custom finders' own ``find()`` about every known path: some list less than they find."""
    problems: list[Problem] = []
    custom = [lst.source for lst in listings if lst.source.kind == "finder" and not lst.errors]
    for source in custom:
        finder = finders.get_finder(source.finder)
        for path, ranked in drafts.items():
            try:
                found = probe_finder(finder, path)
            except Exception as exc:  # the finder's own bug: report once, stop probing it
                problems.append(Problem(f"find({path!r}) raised {exc!r}", source.label))
                break
            known = {c.location for _, c in ranked}
            for location in found:
                if location in known:
                    continue
                try:
                    stamp = FileStamp.of(location)
                except OSError:
                    continue
                listed = ListedFile(path, path, location, collectable=False)
                ranked.append((source.index, _candidate(source, listed, stamp)))
    return problems


def _in_precedence(ranked: list[tuple[int, Candidate]]) -> list[Candidate]:
    return [candidate for _, candidate in sorted(ranked, key=lambda pair: pair[0])]


def _stamps_to_compare(drafts: _Drafts) -> Iterator[FileStamp]:
    """Yield the files whose bytes decide a status: only where a size equals the winner's."""
    for ranked in drafts.values():
        if len(ranked) < 2:
            continue
        winner, *others = _in_precedence(ranked)
        rivals = [c for c in others if c.size == winner.size]
        if rivals and winner.stamp is not None:
            yield winner.stamp
            yield from (c.stamp for c in rivals if c.stamp is not None)


def _record(
    path: str, ranked: list[tuple[int, Candidate]], digests: dict[FileStamp, str | OSError]
) -> PathRecord:
    if len(ranked) == 1:  # most paths: nothing to compare
        only = ranked[0][1]
        if only.collectable:
            return PathRecord(path, SourceStatus.UNIQUE, (), (only,), 0)
        return PathRecord(path, SourceStatus.UNIQUE, (Flag.IGNORED_BY_COLLECT,), (only,), None)
    candidates = _in_precedence(ranked)
    errors: list[str] = []

    def digest_of(candidate: Candidate) -> str | None:
        result = digests.get(candidate.stamp) if candidate.stamp else None
        if isinstance(result, OSError):
            errors.append(f"{candidate.source}: {_describe(result, candidate.location)}")
            return None
        return result

    winner_md5 = digest_of(candidates[0])
    resolved = [_with(candidates[0], winner_md5, True)]
    for rival in candidates[1:]:
        if rival.size != candidates[0].size:
            resolved.append(_with(rival, None, False))
            continue
        rival_md5 = digest_of(rival)
        same = None if winner_md5 is None or rival_md5 is None else rival_md5 == winner_md5
        resolved.append(_with(rival, rival_md5, same))

    flags: list[Flag] = []
    collect_index = next((i for i, c in enumerate(resolved) if c.collectable), None)
    if collect_index is None:
        flags.append(Flag.IGNORED_BY_COLLECT)
    elif collect_index != 0 and resolved[collect_index].location != resolved[0].location:
        flags.append(Flag.ORDER_MISMATCH)
    verdicts = [c.identical_to_winner for c in resolved[1:]]
    if all(v is True for v in verdicts):
        status = SourceStatus.DUPLICATE
    else:
        # Unproven identity counts as a conflict: the inspector never vouches for unread bytes.
        status = SourceStatus.CONFLICT
        if any(v is None for v in verdicts):
            flags.append(Flag.UNVERIFIED)
    return PathRecord(path, status, tuple(flags), tuple(resolved), collect_index, tuple(errors))


def _with(candidate: Candidate, md5: str | None, identical: bool | None) -> Candidate:
    return Candidate(
        candidate.source,
        candidate.location,
        candidate.size,
        candidate.mtime_ns,
        md5,
        identical,
        candidate.collectable,
        candidate.stamp,
    )


def _describe(error: OSError, location: str) -> str:
    if isinstance(error, fingerprints.TooLargeToHash):
        return str(error)
    return f"cannot read {location}: {error.strerror or error}"


def _summaries(
    listings: list[SourceListing], records: list[PathRecord], problems: list[Problem]
) -> Iterator[SourceSummary]:
    wins: Counter[str] = Counter()
    loses: Counter[str] = Counter()
    files: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for record in records:
        for position, candidate in enumerate(record.candidates):
            files[candidate.source] += 1
            sizes[candidate.source] += candidate.size or 0
            (wins if position == 0 else loses)[candidate.source] += 1
    for listing in listings:
        label = listing.source.label
        errors = tuple(p.message for p in problems if p.source == label)
        yield SourceSummary(
            listing.source, files[label], sizes[label], wins[label], loses[label], errors
        )
