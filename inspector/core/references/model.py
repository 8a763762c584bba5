"""The references' records: what a file names, where, what it resolves to, and how bad it is.

Immutable values: every client (pages, CLI, panel, checks) may hold them across threads.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ..status import ReferenceKind, ReferenceProblem, Severity


class LineIndex:
    """The 1-based line of any offset in one text, from one pass over its line breaks."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


@dataclass(frozen=True, slots=True)
class Found:
    """One reference as a file spells it, before it is judged against the layers."""

    kind: ReferenceKind
    line: int
    reference: str  # as written: the tag's literal, the url() argument, the URL
    path: str | None  # the static path it resolves to; None where it is not one


@dataclass(frozen=True, slots=True)
class ScanProblem:
    """Something the scan could not read or parse, and where: a finding, never a crash."""

    file: str
    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Extracted:
    """What one file holds: its references, and what stopped the scan from reading all of it."""

    found: tuple[Found, ...] = ()
    problems: tuple[tuple[int | None, str], ...] = ()  # (line, message)


@dataclass(frozen=True, slots=True)
class StaticNames:
    """How this project's static URLs and names read, for the extractors.

    ``static_url`` is ``STATIC_URL`` with the ``FORCE_SCRIPT_NAME`` prefix where Django adds it
    (a relative setting); ``url_prefixes`` are the forms it takes in a page (an absolute one also
    scheme-relative); ``hashing`` is True for a manifest storage, whose ``{% static %}`` cuts a
    name at ``?`` and ``#``.
    """

    static_url: str
    url_prefixes: tuple[str, ...]
    hashing: bool


# Reads the text of one template (the folder's engine decides the language) into references;
# the last argument is the template's name (its path in the folder), for relative names in it.
Extractor = Callable[[str, StaticNames, str], Extracted]


@dataclass(frozen=True, slots=True)
class TemplateFolder:
    """A folder a template engine's loaders search, and how that engine's templates read."""

    root: str
    engine: str  # the engine's alias in TEMPLATES
    extract: Extractor = field(compare=False)
    charset: str = "utf-8"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a reference is written: the file (absolute), the line (1-based), and the installed
    app whose folder holds the file ("" for the project's own folders)."""

    file: str
    line: int
    app: str = ""


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference, judged: the problem it has against the layers, if any, and how bad."""

    kind: ReferenceKind
    origin: Origin
    reference: str
    path: str | None
    problem: ReferenceProblem | None
    severity: Severity
    why: str = ""

    @property
    def checkable(self) -> bool:
        return self.kind != ReferenceKind.STATIC_DYNAMIC


@dataclass(frozen=True)
class ReferenceScan:
    """Every reference of the scanned templates, CSS, JS and form media, in file and line order,
    with what could not be scanned."""

    references: tuple[Reference, ...]
    problems: tuple[ScanProblem, ...] = ()
    # Engines or folders left out, and why (e.g. an engine of an unknown kind).
    notes: tuple[str, ...] = ()
    # Files scanned by what they are: "templates", "css/js", "python".
    files: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    built_at: float = 0.0

    def __len__(self) -> int:
        return len(self.references)

    @cached_property
    def by_path(self) -> dict[str, tuple[Reference, ...]]:
        """Return the references to each static path (dynamic ones name none)."""
        grouped: dict[str, list[Reference]] = {}
        for ref in self.references:
            if ref.path is not None:
                grouped.setdefault(ref.path, []).append(ref)
        return {path: tuple(refs) for path, refs in grouped.items()}

    @cached_property
    def by_file(self) -> dict[str, tuple[Reference, ...]]:
        """Return the references written in each file."""
        grouped: dict[str, list[Reference]] = {}
        for ref in self.references:
            grouped.setdefault(ref.origin.file, []).append(ref)
        return {file: tuple(refs) for file, refs in grouped.items()}

    @cached_property
    def referenced(self) -> frozenset[str]:
        """Return every static path some reference names."""
        return frozenset(self.by_path)

    @cached_property
    def with_problems(self) -> tuple[Reference, ...]:
        """Return the references that have a problem, worst first, then by file and line."""
        bad = [ref for ref in self.references if ref.problem is not None]
        return tuple(sorted(bad, key=lambda r: -r.severity.rank))

    @cached_property
    def counts(self) -> Counter[str]:
        """Return how many references carry each kind, problem and severity word."""
        counts: Counter[str] = Counter()
        for ref in self.references:
            counts[ref.kind] += 1
            if ref.problem is not None:
                counts[ref.problem] += 1
                counts[ref.severity] += 1
        return counts
