"""Static paths: the one place that says which file a name or a URL asks for.

Two inputs name a static file, and Django reads them differently:

- a *name* given to ``{% static %}`` (the storage's ``url()``): a manifest storage unquotes it,
  then cuts it at ``?`` and ``#`` and strips white space (``stored_name``), so
  ``"css/a.css?v=2"`` is ``css/a.css`` and ``"a%20b.css"`` is ``a b.css``; a plain storage
  quotes the name into the URL as it is, so the name is the file;
- a *URL* in a page or a stylesheet: the browser sends its path as written, the server cuts the
  query and fragment and unquotes what is left, so ``/static/a%3Fb.css`` is ``a?b.css``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

NO_EXTENSION = "none"


# Characters that unquoting, URL splitting or stripping would change or cut a name at.
_URL_SIGNIFICANT = frozenset("%?#:\\")


# Most names: one C call proves them plain.
_SIMPLE = re.compile(r"[A-Za-z0-9_.\-][A-Za-z0-9_./\-]*")


def is_plain_name(name: str) -> bool:
    """Return True if ``unquote``, ``urlsplit`` and ``strip`` leave ``name`` as it is (no
    escape, query, fragment, scheme, netloc, white space at the ends, nor a tab or line break,
    which ``urlsplit`` removes)."""
    if _SIMPLE.fullmatch(name) and not name.startswith("//"):
        return True
    return (
        name.isprintable()
        and not _URL_SIGNIFICANT.intersection(name)
        and not name.startswith("//")
        and name == name.strip()
    )


def file_of_name(name: str, *, hashing: bool = True) -> str:
    """Return the static path ``{% static name %}`` serves: as a manifest storage's
    ``stored_name`` looks it up (``hashing``), or the name itself for a plain storage."""
    if not hashing:
        return name.lstrip("/")
    if is_plain_name(name):
        return name
    return urlsplit(unquote(name)).path.strip()


def path_of_url(url: str, prefixes: tuple[str, ...]) -> str | None:
    """Return the static path ``url`` asks for, or None if it is outside the static URL space.

    ``prefixes`` are the forms ``STATIC_URL`` takes (``/static/``, ``https://host/static/``).
    """
    for prefix in prefixes:
        if url.startswith(prefix):
            # Split by hand: urlsplit would read "a:b.png" as a scheme and a path.
            rest = url[len(prefix) :].split("#", 1)[0].split("?", 1)[0]
            return unquote(rest) if rest else None
    return None


def extension_of(path: str) -> str:
    """Return ``path``'s lower-case extension without the dot, or ``NO_EXTENSION``."""
    return os.path.splitext(path)[1][1:].lower() or NO_EXTENSION


# A file name's bytes that are not UTF-8 come from the file system as lone surrogates
# (``os.fsdecode``'s surrogateescape): U+DC80..U+DCFF stand for the bytes 0x80..0xFF.
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]")
UNSERVABLE_NAME = (
    "Django cannot serve this name: its bytes are not valid UTF-8 (shown as ‹0xNN›), so no "
    "URL can name it; rename the file"
)


def visible(text: str) -> str:
    """Return ``text`` with every character a reader could not see or that reorders what
    follows shown as ``‹U+202E›`` (controls, bidi and other format characters, line and
    paragraph separators), and every undecodable byte as ``‹0xFF›``; a plain space stays."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"‹0x{code - 0xDC00:02X}›"
    return f"‹U+{code:04X}›"


# The CLI's table and warnings show names as the pages do.
printable = visible


def has_undecodable(name: str) -> bool:
    """Return True if ``name`` holds bytes that are not UTF-8 (Django cannot serve it)."""
    # Most names (and whole JSON rows) are ASCII: one C scan answers for them.
    return not name.isascii() and _ESCAPED_BYTES.search(name) is not None


def without_undecodable(text: str) -> str:
    """Return ``text`` with only its undecodable bytes shown as ``‹0xFF›``: what can be
    written as UTF-8 (a CSV cell, an HTML page), everything else kept as it is."""
    if text.isascii():  # one C scan: most text holds no escaped byte
        return text
    return _ESCAPED_BYTES.sub(lambda m: _escape(m.group()), text)


def to_url_part(name: str) -> str:
    """Return ``name`` with its undecodable bytes written ``%FF``, so that a URL can carry it
    (``from_url_part`` reads it back); any other name as it is."""
    return _ESCAPED_BYTES.sub(lambda m: f"%{ord(m.group()) - 0xDC00:02X}", name)


def from_url_part(text: str) -> str:
    """Return the name ``to_url_part`` wrote as ``text``."""
    return unquote(text, errors="surrogateescape") if "%" in text else text
