"""Before each of the storage's reference patterns runs over a text being rewritten, its
required literal is looked for: a pattern is skipped only where it could not have matched."""

from __future__ import annotations

from re import Pattern

import pytest
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.manifest.prefilter import may_match

PATTERNS: list[Pattern[str]] = [
    entry[0] for entries in ManifestStaticFilesStorage()._patterns.values() for entry in entries
]

# Pieces of CSS and JS around the literals, in other cases, and the non-ASCII letters that
# case-insensitive matching folds onto ASCII ones (the dotless i onto i).
PIECES = [
    "url(",
    "URL(",
    "Url('a.png')",
    "@import",
    "@IMPORT 'b.css';",
    "/*# sourceMappingURL=a.css.map */",
    "//# sourceMappingURL=a.js.map",
    "//# SOURCEMAPPINGURL=a.js.map",
    "\n",
    " ",
    '"',
    "a{color:red}",
    "@\u0131mport 'c.css'",
    "@import",
    "u",
    "rl(",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_a_pattern_is_skipped_only_where_it_cannot_match(pieces: list[str]) -> None:
    text = "".join(pieces)
    for pattern in PATTERNS:
        if pattern.search(text) is not None:
            assert may_match(pattern, text), (pattern.pattern, text)


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern[:24])
def test_a_text_without_the_pattern_s_literal_is_not_scanned(pattern: Pattern[str]) -> None:
    assert not may_match(pattern, "a { color: red }\n")


def test_the_literal_is_looked_for_as_the_pattern_matches_it() -> None:
    by_literal = {p.pattern: p for p in PATTERNS}
    imports = next(p for text, p in by_literal.items() if "@import" in text)
    assert may_match(imports, "@ImPoRt 'x.css';"), "@import ignoring case"
    # A text that is not ASCII is always scanned by a pattern that ignores case.
    assert may_match(imports, "p { content: 'é' }")
    maps = [p for text, p in by_literal.items() if "sourceMappingURL" in text]
    assert maps and not any(may_match(p, "//# SOURCEMAPPINGURL=a.js.map é") for p in maps)
