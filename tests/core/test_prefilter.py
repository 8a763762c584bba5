"""Before each of the storage's reference patterns runs over a text being rewritten, its
required literal is looked for: a pattern is skipped only where it could not have matched."""

from __future__ import annotations

from re import Pattern

import pytest
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.manifest import expected
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
    imports = next(p for p in PATTERNS if "@import" in p.pattern)
    assert may_match(imports, "@ImPoRt 'x.css';"), "@import ignoring case"
    # A text that is not ASCII is always scanned by a pattern that ignores case.
    assert may_match(imports, "p { content: 'é' }")
    maps = [p for p in PATTERNS if "sourceMappingURL" in p.pattern]
    assert maps and not any(may_match(p, "//# SOURCEMAPPINGURL=a.js.map é") for p in maps)


class ModuleStorage(ManifestStaticFilesStorage):
    support_js_module_import_aggregation = True


# The names the pieces below refer to, as the manifest would hash them.
HASHED = {
    "img/a.png": "img/a.0123456789ab.png",
    "css/b.css": "css/b.0123456789ab.css",
    "css/site.css.map": "css/site.css.0123456789ab.map",
    "js/b.js": "js/b.0123456789ab.js",
    "js/app.js.map": "js/app.js.0123456789ab.map",
}
CSS_PIECES = [
    'url("../img/a.png")',
    "URL(../img/a.png)",
    "@import 'b.css';",
    '@IMPORT "b.css";',
    "@\u0131mport 'b.css';",
    "/*# sourceMappingURL=site.css.map*/",  # with a blank before */ Django's key keeps it
    "\n",
    " ",
    "a{color:red}",
    "é",
]
JS_PIECES = [
    'import a from "./b.js";',
    'export * from "./b.js";',
    "IMPORT",
    "//# sourceMappingURL=app.js.map",
    "\n",
    " ",
    "x();",
    "é",
]


def rewritten(storage: ManifestStaticFilesStorage, name: str, text: str) -> str:
    try:
        return expected.rewrite(storage, name, text, dict(HASHED))
    except ValueError as exc:  # a reference Django cannot resolve: the same for both
        return f"ValueError: {exc}"


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([("css/site.css", CSS_PIECES), ("js/app.js", JS_PIECES)]).flatmap(
        lambda named: st.tuples(
            st.just(named[0]), st.lists(st.sampled_from(named[1]), max_size=10).map("".join)
        )
    )
)
def test_a_text_is_rewritten_as_when_every_pattern_runs(named: tuple[str, str]) -> None:
    name, text = named
    for storage in (ManifestStaticFilesStorage(), ModuleStorage()):
        skipping = rewritten(storage, name, text)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(expected, "may_match", lambda pattern, text: True)
            every = rewritten(storage, name, text)
        assert skipping == every
