"""A cheap test of whether a CSS or JS file can hold a reference ``post_process`` rewrites.

Each reference pattern's longest required literal (``url(``, ``@import``, ``sourceMappingURL``) is
looked for in the bytes (``screening.may_refer``, where the file is read), far faster than running
the pattern: a file without any is already at its final name and needs no rewriting. In a text
being rewritten, a pattern whose literal is not there is not run (``may_match``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import Pattern
from typing import Any

from ..screening import Needles
from ..storage.instance import ManifestStorage
from .naming import pattern_globs

# pattern -> (a literal every match contains, whether it is matched ignoring case), or None
_literals: dict[Pattern[str], tuple[str, bool] | None] = {}


def needles_for(storage: ManifestStorage, path: str) -> Needles:
    """Return what to look for in ``path``'s bytes to tell whether a reference pattern of
    ``storage`` can match its text (``screening.may_refer``).

    Each pattern gives its longest required literal; None when a pattern has none, so the text
    is always rewritten. A path no pattern applies to gets no needle: nothing to rewrite. The
    paths the same globs match share one answer.
    """
    globs = pattern_globs(storage)
    matched = tuple(index for index, (glob, _) in enumerate(globs) if glob.match(path))
    known: dict[tuple[int, ...], Needles] | None = getattr(storage, "_inspector_needles", None)
    if known is None:
        known = {}
        setattr(storage, "_inspector_needles", known)  # noqa: B010 (a memo on the instance)
    if matched not in known:
        known[matched] = _needles(storage, [globs[index][1] for index in matched])
    return known[matched]


def may_match(pattern: Pattern[str], text: str) -> bool:
    """Return False only if ``pattern`` cannot match ``text``: its required literal is not in
    it. Rewriting runs the storage's patterns one after the other over the whole text; one
    whose literal is missing would scan it all and change nothing (most CSS files hold a
    ``url(`` and no ``@import`` nor sourceMappingURL)."""
    literal = _literal_of(pattern)
    if literal is None:
        return True
    needle, folded = literal
    if not folded:
        return needle in text
    # Case-insensitive Unicode matching folds a few non-ASCII letters onto ASCII ones.
    return not text.isascii() or needle.lower() in text.lower()


def _literal_of(pattern: Pattern[str]) -> tuple[str, bool] | None:
    if pattern not in _literals:
        _literals[pattern] = _required_literal(pattern)
    return _literals[pattern]


def _needles(storage: ManifestStorage, extensions: list[str]) -> Needles:
    needles: list[tuple[bytes, bool]] = []
    for extension in extensions:
        for entry in storage._patterns[extension]:
            literal = _literal_of(entry[0])
            if literal is None:
                return None
            text, folded = literal
            needles.append(((text.lower() if folded else text).encode(), folded))
    return tuple(needles)


def _required_literal(pattern: Pattern[str]) -> tuple[str, bool] | None:
    """Return the longest run of literal characters every match of ``pattern`` contains."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # an unusual pattern: no shortcut for it
        return None
    best: list[tuple[str, bool]] = []
    run: list[tuple[str, bool]] = []

    def flush() -> None:
        nonlocal best, run
        if len(run) > len(best):
            best = run
        run = []

    def walk(items: Iterable[tuple[Any, Any]], ignore_case: bool) -> None:
        for op, argument in items:
            name = str(op)
            if name == "LITERAL":
                run.append((chr(argument), ignore_case))
            elif name == "SUBPATTERN":
                _group, add, remove, inner = argument
                walk(inner, (ignore_case or bool(add & re.IGNORECASE)) and not remove & re.I)
            else:  # a class, a repeat, a branch, an anchor: the run stops here
                flush()

    walk(parsed, bool(pattern.flags & re.IGNORECASE))
    flush()
    if len(best) < 3 or not all(c.isascii() for c, _ in best):
        return None
    text = "".join(c for c, _ in best)
    return text, any(folded and c.lower() != c.upper() for c, folded in best)
