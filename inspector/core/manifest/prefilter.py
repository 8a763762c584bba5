"""A cheap test of whether a CSS or JS file can hold a reference ``post_process`` rewrites.

Each reference pattern's longest required literal (``url(``, ``@import``, ``sourceMappingURL``) is
looked for in the bytes, far faster than running the pattern: a file without any is already at
its final name and needs no rewriting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import Pattern
from typing import Any

from ..storage.instance import ManifestStorage
from .naming import pattern_globs

# pattern -> (a literal every match contains, whether it is matched ignoring case), or None
_literals: dict[Pattern[str], tuple[str, bool] | None] = {}


def might_refer(storage: ManifestStorage, path: str, data: bytes) -> bool:
    """Return False only if no reference pattern of ``storage`` can match ``data``'s text.

    Each pattern's longest required literal (``url(``, ``@import``, ``sourceMappingURL``) is
    looked for in the bytes, far faster than the pattern itself; text that is not ASCII, or a
    pattern without such a literal, is always rewritten.
    """
    lowered: bytes | None = None
    for glob, extension in pattern_globs(storage):
        if not glob.match(path):
            continue
        for entry in storage._patterns[extension]:
            pattern = entry[0]
            if pattern not in _literals:
                _literals[pattern] = _required_literal(pattern)
            literal = _literals[pattern]
            if literal is None:
                return True
            text, folded = literal
            if not folded:
                if text.encode() in data:
                    return True
                continue
            # Case-insensitive Unicode matching folds a few non-ASCII letters onto ASCII ones.
            if not data.isascii():
                return True
            if lowered is None:
                lowered = data.lower()
            if text.lower().encode() in lowered:
                return True
    return False


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
