"""Selecting rows: the filters the CLI and the dashboard share, and what ``--fail-on`` fails on."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from .layers import Layers
from .paths import extension_of
from .records import PathRecord, orphan_record
from .severity import judge, judge_release
from .status import (
    LiveStatus,
    ManifestFinding,
    ManifestStatus,
    ReferenceProblem,
    ServedStatus,
    Severity,
    SourceStatus,
    all_values,
)


def _live_words(record: PathRecord, layers: Layers) -> tuple[str, ...]:
    word = layers.live_status(record.path)
    return (word,) if word is not None else ()


def _accepted_words(record: PathRecord, layers: Layers) -> tuple[str, ...]:
    return ("yes",) if layers.judgement(record.path).accepted is not None else ("no",)


# The facets a row can be selected by, each with the words that describe a row: a filter asks
# for any of some words per facet, and all facets it names at once.
FACETS: Mapping[str, Callable[..., Iterable[str]]] = {
    "status": lambda record, layers: (str(record.status),),
    "flag": lambda record, layers: map(str, record.flags),
    # A layer that was not computed (``--no-live``) gives no row a word to match.
    "live": _live_words,
    "manifest": lambda record, layers: (layers.manifest_status(record.path),),
    "severity": lambda record, layers: (str(layers.severity(record.path)),),
    "accepted": _accepted_words,
}


@dataclass(frozen=True, slots=True)
class Selection:
    """The rows a filter selected, and per facet how many rows each word would select if that
    facet's own choice were changed (the counts a faceted search shows beside each choice)."""

    records: tuple[PathRecord, ...]
    facet_counts: dict[str, Counter[str]]


@dataclass(frozen=True, slots=True)
class PathFilter:
    """A conjunction of criteria; an empty criterion matches everything.

    ``facets`` maps a name of ``FACETS`` to the words wanted (any of them); ``globs`` are
    shell patterns (the CLI's ``--path``), ``words`` substrings every path must contain
    (the dashboard's search), ``source`` a source label the row wins or loses, ``extension``
    a ``paths.extension_of`` value.
    """

    facets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    globs: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    source: str = ""
    extension: str = ""
    # The paths some scanned reference names, for the ``referenced`` facet (None: not asked).
    referenced: frozenset[str] | None = None

    def _base(self, record: PathRecord) -> bool:
        path = record.path
        if self.globs and not any(fnmatch.fnmatchcase(path, g) for g in self.globs):
            return False
        if self.words:
            folded = path.casefold()
            if not all(word in folded for word in self.words):
                return False
        if self.source and not any(c.source == self.source for c in record.candidates):
            return False
        return not self.extension or extension_of(path) == self.extension

    def matches(self, record: PathRecord, layers: Layers) -> bool:
        return self._matches(record, self._describers(layers))

    def _matches(
        self, record: PathRecord, describers: Mapping[str, Callable[[PathRecord], Iterable[str]]]
    ) -> bool:
        return self._base(record) and all(
            bool(wanted.intersection(describers[name](record)))
            for name, wanted in self.facets.items()
            if wanted and name in describers
        )

    def apply(self, records: Iterable[PathRecord], layers: Layers) -> Iterator[PathRecord]:
        if not self._narrows():  # asked for every row (the CLI without options): no row tested
            return iter(records)
        describers = self._describers(layers)
        return (record for record in records if self._matches(record, describers))

    def _narrows(self) -> bool:
        """Return True if some criterion is set: otherwise every row matches."""
        return self._by_path_or_source() or any(self.facets.values())

    def _by_path_or_source(self) -> bool:
        """Return True if a criterion of ``_base`` is set."""
        return bool(self.globs or self.words or self.source or self.extension)

    def select(self, records: Iterable[PathRecord], layers: Layers) -> Selection:
        """Return the matching rows and the facet counts, in one pass over ``records``.

        Rows are counted by their combination of facet words (a few hundred kinds among
        tens of thousands of rows, kept per ``Layers``), then each kind's words once. A
        selection among all the rows is kept on ``layers`` (the next page of it asks again).
        """
        if records is layers.records:
            return layers.derive(("selection", self._key()), lambda: self._select(records, layers))
        return self._select(records, layers)

    def _key(self) -> tuple[object, ...]:
        facets = tuple(sorted((name, words) for name, words in self.facets.items() if words))
        return (facets, self.globs, self.words, self.source, self.extension, self.referenced)

    def _select(self, records: Iterable[PathRecord], layers: Layers) -> Selection:
        names = (*FACETS, "referenced") if self.referenced is not None else tuple(FACETS)
        wanted = {name: words for name, words in self.facets.items() if words and name in names}
        positions = {name: index for index, name in enumerate(names)}
        combos = _combos(layers)
        base = self._by_path_or_source()
        missed_of: dict[_Combo, tuple[str, ...]] = {}
        selected = []
        full: Counter[_Combo] = Counter()
        near: dict[str, Counter[_Combo]] = {}
        for record in records:
            if base and not self._base(record):
                continue
            combo = combos.get(record.path)
            if combo is None:
                combo = _combo_of(record, layers)
            if self.referenced is not None:
                combo = (*combo, self._referenced_words(record))
            missed = missed_of.get(combo)
            if missed is None:
                missed = tuple(
                    name for name in wanted if not wanted[name].intersection(combo[positions[name]])
                )
                missed_of[combo] = missed
            if not missed:
                selected.append(record)
                full[combo] += 1
            elif len(missed) == 1:  # selected if this facet's choice allowed it
                near.setdefault(missed[0], Counter())[combo] += 1
        counts: dict[str, Counter[str]] = {name: Counter() for name in names}
        for combo, times in full.items():
            for name, index in positions.items():
                for word in combo[index]:
                    counts[name][word] += times
        for name, kinds in near.items():
            for combo, times in kinds.items():
                for word in combo[positions[name]]:
                    counts[name][word] += times
        return Selection(tuple(selected), counts)

    def _describers(self, layers: Layers) -> dict[str, Callable[[PathRecord], Iterable[str]]]:
        describers: dict[str, Callable[[PathRecord], Iterable[str]]] = {
            name: partial(describe, layers=layers) for name, describe in FACETS.items()
        }
        if self.referenced is not None:  # the facet exists where the references were scanned
            describers["referenced"] = self._referenced_words
        return describers

    def _referenced_words(self, record: PathRecord) -> tuple[str, ...]:
        return ("yes",) if self.referenced and record.path in self.referenced else ("no",)


T = TypeVar("T")


def faceted(
    items: Iterable[T],
    describers: Mapping[str, Callable[[T], Iterable[str]]],
    wanted: Mapping[str, frozenset[str]],
) -> tuple[list[T], dict[str, Counter[str]]]:
    """Return the items whose words hold one of the wanted words in every facet that wants
    some, and per facet how many items each word would select if that facet's own choice were
    changed (the counts a faceted search shows beside each choice)."""
    wanted = {name: words for name, words in wanted.items() if words}
    counts: dict[str, Counter[str]] = {name: Counter() for name in describers}
    selected = []
    for item in items:
        words = {name: tuple(describe(item)) for name, describe in describers.items()}
        missed = [name for name in wanted if not wanted[name].intersection(words[name])]
        if not missed:
            selected.append(item)
            for name, found in words.items():
                counts[name].update(found)
        elif len(missed) == 1:  # selected if this facet's choice allowed it
            counts[missed[0]].update(words[missed[0]])
    return selected, counts


# Per row, its words for each facet (in ``FACETS`` order); equal combinations are one object.
_Combo = tuple[tuple[str, ...], ...]


def _combo_of(record: PathRecord, layers: Layers) -> _Combo:
    return tuple(tuple(describe(record, layers)) for describe in FACETS.values())


def _combos(layers: Layers) -> dict[str, _Combo]:
    """Return every row's facet words for ``layers``, computed once per ``Layers``."""
    return layers.derive("facet-words", lambda: _all_combos(layers))


def _all_combos(layers: Layers) -> dict[str, _Combo]:
    interned: dict[_Combo, _Combo] = {}
    combos = {}
    for record in layers.records:
        combo = _combo_of(record, layers)
        combos[record.path] = interned.setdefault(combo, combo)
    return combos


def words_of(record: PathRecord, layers: Layers) -> set[str]:
    """Return every vocabulary word that describes ``record``: its status and flags, its
    manifest status and the kinds of its manifest findings, its live and served statuses."""
    return _words(record, layers, _finding_words(layers))


# Words no row can fail on: asking to fail on them is a mistake in the CI recipe.
NEVER_FAILING = frozenset(
    {
        str(SourceStatus.UNIQUE),
        str(LiveStatus.CURRENT),
        str(ManifestStatus.OK),
        str(ManifestStatus.NOT_APPLICABLE),
        str(ServedStatus.OK),
        str(Severity.OK),
    }
)
SEVERITY_WORDS = frozenset(str(s) for s in Severity) - {str(Severity.OK)}


class UnknownWords(ValueError):
    """``--fail-on`` named words that are not in the vocabulary, or that can never fail."""


def parse_fail_on(value: str) -> frozenset[str]:
    """Return the comma-separated words of ``value``; raise ``UnknownWords`` naming the bad."""
    words = frozenset(w.strip() for w in value.split(",") if w.strip())
    known = (all_values() | SEVERITY_WORDS) - NEVER_FAILING
    never = sorted(words & NEVER_FAILING)
    if never:
        raise UnknownWords(
            f"{', '.join(never)} can never fail (it describes a row that is fine). "
            f"Use a severity (error, warning, info) or a status word: {', '.join(sorted(known))}."
        )
    references = sorted(words & {str(p) for p in ReferenceProblem} - known)
    if references:
        raise UnknownWords(
            f"{', '.join(references)} describes a reference, not a path: add --references."
        )
    unknown = sorted(words - known)
    if unknown:
        raise UnknownWords(
            f"unknown word(s) {', '.join(unknown)}. Known: {', '.join(sorted(known))}."
        )
    return words


_MANIFEST_WORDS = frozenset(str(s) for s in ManifestStatus) | {str(f) for f in ManifestFinding}
_LIVE_WORDS = frozenset(str(s) for s in LiveStatus)


def failing(records: Iterable[PathRecord], fail_on: frozenset[str], layers: Layers) -> list[str]:
    """Return the paths of ``records`` that fail ``fail_on``: a row carrying one of its words,
    or of a severity at least as bad as one of its severity words; accepted rows never fail."""
    threshold = _threshold(fail_on)
    findings = _finding_words(layers)
    failed = []
    for record in records:
        judgement = layers.judgement(record.path)
        if judgement.accepted is not None:
            continue
        if (threshold is not None and judgement.severity.rank >= threshold) or (
            fail_on & _words(record, layers, findings)
        ):
            failed.append(record.path)
    return failed


def failures(
    layers: Layers,
    records: Sequence[PathRecord],
    path_filter: PathFilter,
    fail_on: frozenset[str],
) -> list[str]:
    """Return what fails ``fail_on`` among ``records`` (the rows a filter selected): each
    failing path, then the paths only the manifest still names, then the releases (the
    release-specific pattern) a rollback to would break, then a layer that could not
    be checked at all (a manifest or severity word fails on an unreadable manifest, a live or
    severity word on a storage that could not be listed)."""
    if not fail_on:
        return []
    matched = failing(records, fail_on, layers)
    threshold = _threshold(fail_on)
    manifest = layers.manifest
    for path in manifest.paths():
        if layers.get(path) is not None:
            continue
        if path_filter.globs and not any(fnmatch.fnmatchcase(path, g) for g in path_filter.globs):
            continue
        entry = manifest.entry(path, url=False)
        judgement = judge(orphan_record(path), entry, None, rules=layers.rules)
        if judgement.accepted is not None:
            continue
        words = {str(entry.status)} | {str(f.kind) for f in entry.findings}
        if fail_on & words or (threshold is not None and judgement.severity.rank >= threshold):
            matched.append(path)
    for release in manifest.releases:
        judgement = judge_release(release)
        if str(release.status) in fail_on or (
            threshold is not None and judgement.severity.rank >= threshold
        ):
            matched.append(f"(release {release.id}: {release.status})")
    severity_asked = threshold is not None
    if manifest.unchecked and (severity_asked or fail_on & _MANIFEST_WORDS):
        matched.append(f"(manifest: {manifest.unchecked})")
    live = layers.live
    if live is not None and not live.checked and (severity_asked or fail_on & _LIVE_WORDS):
        matched.append(f"(live: {live.problems[0] if live.problems else '?'})")
    return matched


def _threshold(fail_on: frozenset[str]) -> int | None:
    """Return the rank of the mildest severity word in ``fail_on`` (None: no severity word)."""
    ranks = [Severity(word).rank for word in fail_on & SEVERITY_WORDS]
    return min(ranks) if ranks else None


def _finding_words(layers: Layers) -> dict[str, set[str]]:
    # Grouped once per call: a manifest's findings are few, its paths many.
    words: dict[str, set[str]] = {}
    for finding in layers.manifest.findings:
        words.setdefault(finding.path, set()).add(str(finding.kind))
    return words


def _words(record: PathRecord, layers: Layers, findings: dict[str, set[str]]) -> set[str]:
    path = record.path
    words = {str(record.status), *map(str, record.flags), layers.manifest_status(path)}
    for word in (layers.live_status(path), layers.served_status(path)):
        if word is not None:
            words.add(word)
    words.update(findings.get(path, ()))
    return words
