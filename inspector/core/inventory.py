"""The inventory: one immutable record per static path, built from every source of every finder.

``current_inventory()`` keeps the last result per process and, on the next call, re-lists only
the sources whose folders changed and re-stats every file, so an unchanged tree costs a few stat
calls per file and returns the same object; an edited, added or removed file shows up without a
restart. How recent an answer a client accepts is ``layers``' business.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.staticfiles import finders

from . import caches, fingerprints, generators
from .bulk import collector_paused
from .fingerprints import FileStamp
from .paths import UNSERVABLE_NAME, has_undecodable
from .records import Candidate, Inventory, PathRecord, Problem, SourceSummary
from .sources import (
    ListedFile,
    Source,
    SourceListing,
    configured_finders,
    list_sources,
    probe_finder,
)
from .status import Flag, SourceStatus


@dataclass
class _State:
    # The finder instances the state was built with: replaced ones (settings changed) start anew.
    finders: tuple[object, ...] = ()
    listings: list[SourceListing] = field(default_factory=list)
    stamps: list[FileStamp | None] = field(default_factory=list)
    inventory: Inventory | None = None
    racy: bool = True


_state = _State()
_lock = threading.Lock()


def current_inventory(listed: Callable[[int], object] | None = None) -> Inventory:
    """Return the inventory of every static path as the finders see it now.

    The last inventory is returned again when no listed folder changed and every file's stamp
    is the same as last time (and none changed within the last clock tick). ``listed`` is
    called with the number of source files once they are listed, before they are stat'ed: a
    caller may start work that goes on alongside.
    """
    global _state
    with _lock, collector_paused():
        found = tuple(finder for _, finder in configured_finders())
        if len(found) != len(_state.finders) or any(
            a is not b for a, b in zip(found, _state.finders, strict=False)
        ):
            _state = _State(finders=found)
        listings = list_sources(_state.listings)
        if listed is not None:
            listed(sum(len(listing.files) for listing in listings))
        now_ns = time.time_ns()
        stamps, problems = _stat_all(listings)
        unchanged = (
            _state.inventory is not None
            and not _state.racy
            and len(listings) == len(_state.listings)
            and all(a is b for a, b in zip(listings, _state.listings, strict=True))
            and stamps == _state.stamps
        )
        if unchanged and _state.inventory is not None:
            return _state.inventory
        inventory = _build(listings, stamps, problems)
        if caches.for_later():
            _state.listings, _state.stamps, _state.inventory = listings, stamps, inventory
            _state.racy = any(s is not None and s.is_racy(now_ns) for s in stamps)
        return inventory


def clear_inventory_cache() -> None:
    """Forget the last inventory and listings of this process (the next call starts cold)."""
    global _state
    with _lock:
        _state = _State()


caches.register(
    "inventory",
    clear_inventory_cache,
    fresh_while="no source folder's mtime and no listed file's stamp changed (none racy)",
)


def _stat_all(
    listings: list[SourceListing],
) -> tuple[list[FileStamp | None], list[Problem]]:
    """Return the stamp of every listed file in listing order (None: no local file, or one
    that cannot be read), and the problems met."""
    stamps: list[FileStamp | None] = []
    problems: list[Problem] = []
    # A folder listed twice lists its files twice: each is stat'ed, and reported, once.
    seen: dict[str, FileStamp | None] = {}
    for listing in listings:
        for listed in listing.files:
            if listed.folder is None:
                stamps.append(None)
                continue
            location = listed.folder + listed.name
            if location in seen:
                stamps.append(seen[location])
                continue
            stamp = None
            try:
                stamp = FileStamp.at(listed.folder, listed.name)
            except fingerprints.NotRegularFile as exc:
                problems.append(
                    Problem(
                        f"{listed.path!r} is {exc.kind}, not a regular file: never opened "
                        "(development and collectstatic would hang reading it)",
                        listing.source.label,
                        listed.path,
                    )
                )
            except OSError as exc:
                problems.append(
                    Problem(
                        f"listed but gone when read ({exc.strerror or exc}): "
                        "deleted while the walk ran?",
                        listing.source.label,
                        listed.path,
                    )
                )
            seen[location] = stamp
            stamps.append(stamp)
    return stamps, problems


# Per path, (source index, candidate): probed candidates arrive late but take their finder's place.
_Drafts = dict[str, list[tuple[int, Candidate]]]


def _build(
    listings: list[SourceListing],
    stamps: list[FileStamp | None],
    problems: list[Problem],
) -> Inventory:
    drafts: _Drafts = {}
    in_order = iter(stamps)
    for listing in listings:
        source = listing.source
        for listed in listing.files:
            stamp = next(in_order)
            if listed.folder is not None and stamp is None:
                continue  # vanished: reported as a problem by _stat_all
            entry = (source.index, _candidate(source, listed, stamp))
            ranked = drafts.get(listed.path)
            if ranked is None:
                drafts[listed.path] = [entry]
            else:
                ranked.append(entry)
    generating = {
        lst.source.label
        for lst in listings
        if lst.source.kind == "finder"
        and not lst.errors
        and generators.is_generator_root(lst.source.root)
    }
    _add_outputs([lst.source for lst in listings if lst.source.label in generating], drafts)
    problems = problems + _probe_custom_finders(listings, drafts, generating)
    for listing in listings:
        problems.extend(Problem(e, listing.source.label) for e in listing.errors)

    digests = fingerprints.md5_many(_stamps_to_compare(drafts))
    by_label = {lst.source.label: lst.source for lst in listings}
    records = [_record(path, drafts[path], digests, by_label) for path in sorted(drafts)]
    problems.extend(Problem(e, path=r.path) for r in records for e in r.errors)
    return Inventory(
        paths=tuple(records),
        sources=tuple(_summaries(listings, records, problems, generating)),
        problems=tuple(problems),
        built_at=time.time(),
    )


def _candidate(source: Source, listed: ListedFile, stamp: FileStamp | None) -> Candidate:
    return Candidate(
        source=source.label,
        # Said by the stamp where there is one; a file no local path names, by its finder.
        where=None if stamp is not None else listed.location or source.finder,
        md5=None,
        # True for whoever ends up the winner; rivals are decided in _record.
        identical_to_winner=True,
        collectable=listed.collectable,
        stamp=stamp,
        symlink=listed.link,
    )


def _add_outputs(generating: list[Source], drafts: _Drafts) -> None:
    """Add what each generator wrote into STATIC_ROOT as its own candidates (sources, not
    orphans); collectstatic leaves them where they are, so they count as collected."""
    for source in generating:
        for listed in generators.outputs(source, drafts.keys()):
            try:
                stamp = FileStamp.at(listed.folder or "", listed.name)
            except OSError:
                continue
            drafts.setdefault(listed.path, []).append(
                (source.index, _candidate(source, listed, stamp))
            )


def _probe_custom_finders(
    listings: list[SourceListing], drafts: _Drafts, generating: set[str]
) -> list[Problem]:
    """Ask custom finders' own ``find()`` about every known path: some list less than they find.

    A generator's ``find()`` answers from STATIC_ROOT: what it finds there for another source's
    path is that path's collected copy, not a rival."""
    problems: list[Problem] = []
    custom = [lst.source for lst in listings if lst.source.kind == "finder" and not lst.errors]
    for source in custom:
        finder = finders.get_finder(source.finder)
        generator = source.label in generating
        for path, ranked in drafts.items():
            try:
                found = probe_finder(finder, path)
            except Exception as exc:  # the finder's own bug: report once, stop probing it
                problems.append(Problem(f"find({path!r}) raised {exc!r}", source.label))
                break
            known = {c.location for _, c in ranked}
            for location in found:
                if location in known or (
                    generator and generators.is_collected_copy(path, location)
                ):
                    continue
                try:
                    stamp = FileStamp.of(location)
                except OSError:
                    continue
                listed = ListedFile(path, location, "", collectable=False)
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
    path: str,
    ranked: list[tuple[int, Candidate]],
    digests: fingerprints.Digests,
    by_label: dict[str, Source],
) -> PathRecord:
    name_errors = (UNSERVABLE_NAME,) if has_undecodable(path) else ()
    if len(ranked) == 1:  # most paths: nothing to compare
        only = ranked[0][1]
        if only.collectable:
            return PathRecord(path, SourceStatus.UNIQUE, (), (only,), 0, name_errors)
        ignored = (Flag.IGNORED_BY_COLLECT,)
        why = _never_collected([only], by_label)
        return PathRecord(path, SourceStatus.UNIQUE, ignored, (only,), None, name_errors, why)
    candidates = _in_precedence(ranked)
    errors: list[str] = list(name_errors)

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
    notes: tuple[str, ...] = ()
    collect_index = _collected_one(resolved, sorted(i for i, _ in ranked), by_label)
    if collect_index is None:
        flags.append(Flag.IGNORED_BY_COLLECT)
        notes = _never_collected(resolved, by_label)
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
    return PathRecord(
        path, status, tuple(flags), tuple(resolved), collect_index, tuple(errors), notes
    )


def _collected_one(
    candidates: list[Candidate], indexes: list[int], by_label: dict[str, Source]
) -> int | None:
    """Return the position of the candidate collectstatic takes: the first collectable one in
    the order its finders list them (a folder in STATICFILES_DIRS twice is listed early)."""
    best: tuple[int, int] | None = None
    for position, (candidate, index) in enumerate(zip(candidates, indexes, strict=True)):
        if not candidate.collectable:
            continue
        source = by_label.get(candidate.source)
        listed_at = source.listed_at if source is not None else None
        key = (index if listed_at is None else listed_at, position)
        if best is None or key < best:
            best = key
    return None if best is None else best[1]


def _never_collected(candidates: list[Candidate], by_label: dict[str, Source]) -> tuple[str, ...]:
    notes = (by_label[c.source].never_collected for c in candidates if c.source in by_label)
    return tuple(dict.fromkeys(note for note in notes if note))


def _with(candidate: Candidate, md5: str | None, identical: bool | None) -> Candidate:
    return Candidate(
        candidate.source,
        candidate.where,
        md5,
        identical,
        candidate.collectable,
        candidate.stamp,
        candidate.symlink,
    )


def _describe(error: OSError, location: str) -> str:
    if isinstance(error, fingerprints.TooLargeToHash):
        return str(error)
    return f"cannot read {location}: {error.strerror or error}"


def _summaries(
    listings: list[SourceListing],
    records: list[PathRecord],
    problems: list[Problem],
    generating: set[str],
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
            listing.source,
            files[label],
            sizes[label],
            wins[label],
            loses[label],
            errors,
            label in generating,
        )
