"""Selecting references: the filters the CLI and the references page share, and ``--fail-on``."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..selection import SEVERITY_WORDS, UnknownWords, faceted
from ..status import ReferenceKind, ReferenceProblem, Severity
from .model import Reference

# The word of a reference without a problem, and of a file in none of the installed apps.
NO_PROBLEM = "none"
PROJECT = "(project)"

FACETS: Mapping[str, Callable[[Reference], Iterable[str]]] = {
    "kind": lambda ref: (str(ref.kind),),
    "problem": lambda ref: (str(ref.problem) if ref.problem else NO_PROBLEM,),
    "severity": lambda ref: (str(ref.severity),),
    "app": lambda ref: (ref.origin.app or PROJECT,),
}
PROBLEM_WORDS = frozenset(str(p) for p in ReferenceProblem)
KIND_WORDS = frozenset(str(k) for k in ReferenceKind)


@dataclass(frozen=True, slots=True)
class ReferenceFilter:
    """A conjunction of criteria: ``facets`` (a name of ``FACETS`` to the words wanted, any of
    them), ``globs`` the referenced path must match (``--path``), ``words`` the reference, its
    path or its file must all contain (the page's search)."""

    facets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    globs: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    def _base(self, ref: Reference) -> bool:
        if self.globs and not (
            ref.path is not None and any(fnmatch.fnmatchcase(ref.path, g) for g in self.globs)
        ):
            return False
        if self.words:
            folded = f"{ref.reference}\n{ref.path or ''}\n{ref.origin.file}".casefold()
            return all(word in folded for word in self.words)
        return True

    def select(self, refs: Iterable[Reference]) -> tuple[list[Reference], dict[str, Counter[str]]]:
        """Return the matching references and, per facet, how many each word would select."""
        return faceted((r for r in refs if self._base(r)), FACETS, self.facets)


def parse_fail_on(value: str) -> frozenset[str]:
    """Return the words of ``--fail-on`` for references: a severity or a problem."""
    words = frozenset(w.strip() for w in value.split(",") if w.strip())
    known = PROBLEM_WORDS | SEVERITY_WORDS
    unknown = sorted(words - known)
    if unknown:
        raise UnknownWords(
            f"{', '.join(unknown)} cannot fail a reference. Use a severity (error, warning) or a "
            f"problem: {', '.join(sorted(PROBLEM_WORDS))}."
        )
    return words


def failing(refs: Iterable[Reference], fail_on: frozenset[str]) -> list[Reference]:
    """Return the references whose problem is in ``fail_on``, or whose severity is at least as
    bad as a severity word in it."""
    ranks = [Severity(word).rank for word in fail_on & SEVERITY_WORDS]
    threshold = min(ranks) if ranks else None
    return [
        ref
        for ref in refs
        if ref.problem is not None
        and (
            str(ref.problem) in fail_on
            or (threshold is not None and ref.severity.rank >= threshold)
        )
    ]
