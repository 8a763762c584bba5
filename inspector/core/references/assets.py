"""References inside CSS and JS files, found and resolved as ``ManifestStaticFilesStorage`` does.

The storage's own regular expressions find ``url()``, ``@import`` and ``sourceMappingURL``
references, and its converter's rules resolve them: ``data:``, scheme-relative and other absolute
URLs are left alone, ``#…`` alone has no path, a ``STATIC_URL`` path is cut, and anything else is
joined to the referring file's own static path. Where the running Django skips URLs inside
comments (6.1), so does this scan; a storage that does not hash names gets the browser's view,
which never follows a commented-out URL either.

Relative ES module imports (``import … from "./x.js"``, ``import("./x.js")``) are what the
browser fetches whatever the storage; Django rewrites them only with
``support_js_module_import_aggregation``, so they are found here with bounded patterns of the
inspector's own, resolved the same way.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote, urldefrag

from django.contrib.staticfiles import storage as staticfiles_storage_module
from django.contrib.staticfiles.storage import HashedFilesMixin

from ..paths import file_of_name
from ..status import ReferenceKind
from .model import Extracted, Found, LineIndex, StaticNames
from .urls import find_static_urls

# A browser never follows these: comments, and (for imports) strings and template literals.
_CSS_COMMENTS = re.compile(r"/\*.*?\*/", re.DOTALL)
# What Django >= 6.1 skips for a pattern that names nothing else (None before 6.1).
_DJANGO_CSS_IGNORED: re.Pattern[str] | None = getattr(
    staticfiles_storage_module, "_css_ignored_re", None
)
_JS_IGNORED = re.compile(
    r"/\*.*?\*/|//[^\n]*|\\.|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|`(?:[^`\\]|\\.)*`",
    re.DOTALL,
)
# Relative specifiers only: a bare one ("lodash") needs an import map, not a static file. The
# import list is bounded so a huge minified file cannot make a match scan it to its end. Each
# starts with its keyword (a literal the regex engine finds fast); the character before it is
# checked apart (``_starts_word``).
_JS_IMPORTS = (
    re.compile(r"""import\s*(?:[\w$*{}\s,]{0,2000}?\bfrom\s*)?(["'])(\.{0,2}/[^"'\n]*)\1"""),
    re.compile(r"""export\s*[\w$*{}\s,]{0,2000}?\bfrom\s*(["'])(\.{0,2}/[^"'\n]*)\1"""),
    re.compile(r"""import\(\s*(["'])(\.{0,2}/[^"'\n]*)\1\s*\)"""),
)
_IMPORT_BEFORE = re.compile(r"@import\s*$", re.IGNORECASE)
# How far back an ``@import`` keyword may stand before its ``url(``.
_IMPORT_REACH = 40


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: re.Pattern[str]
    kind: ReferenceKind
    # The blocks the running Django skips for this pattern (6.1); None: it skips nothing.
    ignored: re.Pattern[str] | None
    # Text every match contains (lower-case where the pattern ignores case): a file without it
    # is not searched. Most files have no reference, and a substring test is far cheaper.
    needle: str = ""
    folded: bool = True

    def may_match(self, text: str, lowered: str) -> bool:
        if not self.needle:
            return True
        return self.needle in (lowered if self.folded else text)


@cache
def _patterns(storage_class: type | None) -> dict[str, tuple[_Pattern, ...]]:
    """Return the storage's patterns by extension (``*.css``, ``*.js``), compiled as its
    ``__init__`` compiles them; Django's defaults for a storage that does not hash."""
    owner = storage_class if storage_class and issubclass(storage_class, HashedFilesMixin) else None
    raw = (owner or HashedFilesMixin).patterns
    compiled: dict[str, list[_Pattern]] = {}
    for extension, patterns in raw:
        for entry in patterns:
            ignored: re.Pattern[str] | None = None
            if isinstance(entry, tuple | list):
                pattern = entry[0]
                if len(entry) == 3:
                    ignored = re.compile(entry[2]) if isinstance(entry[2], str) else entry[2]
            else:
                pattern = entry
            if ignored is None:
                ignored = _DJANGO_CSS_IGNORED
            if owner is None:
                ignored = _JS_IGNORED if extension == "*.js" else _CSS_COMMENTS
            needle, folded = _needle_of(pattern)
            compiled.setdefault(extension, []).append(
                _Pattern(
                    re.compile(pattern, re.IGNORECASE), _kind_of(pattern), ignored, needle, folded
                )
            )
    return {extension: tuple(found) for extension, found in compiled.items()}


def _needle_of(pattern: str) -> tuple[str, bool]:
    """Return the text every match of ``pattern`` holds, if it is one of Django's own."""
    if "(?-i:sourceMappingURL)" in pattern:
        return "sourceMappingURL", False
    if pattern.startswith(r"(?P<matched>@import"):
        return "@import", True
    if pattern.startswith(r"(?P<matched>url\("):
        return "url(", True
    return "", True


def _kind_of(pattern: str) -> ReferenceKind:
    if "sourceMappingURL" in pattern:
        return ReferenceKind.SOURCE_MAP
    if "@import" in pattern:
        return ReferenceKind.CSS_IMPORT
    if "import" in pattern or "export" in pattern:
        return ReferenceKind.JS_IMPORT
    return ReferenceKind.CSS_URL


def resolve_asset_url(name: str, url: str, static_url: str) -> tuple[bool, str | None]:
    """Return (whether the storage's converter would resolve ``url``, the static path it names).

    The rules of ``HashedFilesMixin.url_converter``: absolute, scheme-relative and ``data:``
    URLs, absolute paths outside ``STATIC_URL`` and bare fragments are left alone.
    """
    if re.match(r"^[a-z]+:", url) or url.startswith("//"):
        return False, None
    if url.startswith("/") and not url.startswith(static_url):
        return False, None
    url_path, _fragment = urldefrag(url)
    if not url_path:
        return False, None
    if url_path.startswith("/"):
        target = url_path.removeprefix(static_url)
    else:
        target = posixpath.join(posixpath.dirname(name), url_path)
    # The converter unquotes, then the storage's stored_name unquotes and cuts ?query again.
    return True, normalised(file_of_name(unquote(target)))


def normalised(path: str) -> str | None:
    """Return ``path`` with ``.``/``..`` segments folded as the file system folds them."""
    if not path:
        return None
    folded = posixpath.normpath(path)
    return None if folded == "." else folded


def _starts_word(text: str, offset: int) -> bool:
    """Return True if no identifier character runs into ``offset`` (``reimport(`` is not one)."""
    before = text[offset - 1] if offset else " "
    return not (before.isalnum() or before in "_$.")


def _blocks(regex: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    return [] if regex is None else [(m.start(), m.end()) for m in regex.finditer(text)]


def _inside(position: int, blocks: list[tuple[int, int]]) -> bool:
    # The rule of HashedFilesMixin.is_in_ignored_block: strictly inside a skipped block.
    return any(start < position < end for start, end in blocks)


def extract_asset(
    path: str, text: str, names: StaticNames, storage_class: type | None
) -> Extracted:
    """Return the references of the CSS or JS file served at ``path`` whose text is ``text``."""
    extension = "*.css" if path.lower().endswith(".css") else "*.js"
    found: list[Found] = []
    lines: LineIndex | None = None
    for pattern, matches in _matching(extension, text, storage_class):
        blocks = _blocks(pattern.ignored, text)
        for match in matches:
            if _inside(match.start(), blocks):
                continue
            url = match.group("url") if "url" in pattern.regex.groupindex else match.group(2)
            kind = pattern.kind
            before = text[max(0, match.start() - _IMPORT_REACH) : match.start()]
            if kind == ReferenceKind.CSS_URL and _IMPORT_BEFORE.search(before):
                kind = ReferenceKind.CSS_IMPORT
            resolved, target = resolve_asset_url(path, url, names.static_url)
            lines = lines or LineIndex(text)
            found.append(
                Found(kind, lines.of(match.start()), url.strip(), target if resolved else None)
            )
    if extension == "*.js" and any(prefix in text for prefix in names.url_prefixes):
        found.extend(_hardcoded_in_script(text, names))
    found.sort(key=lambda f: f.line)
    return Extracted(tuple(found))


def _hardcoded_in_script(text: str, names: StaticNames) -> Iterator[Found]:
    """Yield string literals of a script that start with a static URL: fetched as written."""
    comments = [
        (m.start(), m.end()) for m in _JS_IGNORED.finditer(text) if m.group(0)[:2] in ("/*", "//")
    ]
    lines = LineIndex(text)
    for offset, url, path in find_static_urls(text, names, quoted=True):
        if path is not None and not any(start <= offset < end for start, end in comments):
            yield Found(ReferenceKind.HARDCODED_URL, lines.of(offset), url, path)


def _matching(
    extension: str, text: str, storage_class: type | None
) -> Iterator[tuple[_Pattern, list[re.Match[str]]]]:
    """Yield each pattern with its matches; skipped blocks are computed only where one matched."""
    lowered = text.lower()
    for pattern in _patterns(storage_class).get(extension, ()):
        if not pattern.may_match(text, lowered):
            continue
        matches = list(pattern.regex.finditer(text))
        if matches:
            yield pattern, matches
    if extension == "*.js" and ("import" in text or "export" in text):
        for regex in _JS_IMPORTS:
            matches = [m for m in regex.finditer(text) if _starts_word(text, m.start())]
            if matches:
                yield _Pattern(regex, ReferenceKind.JS_IMPORT, _JS_IGNORED), matches
