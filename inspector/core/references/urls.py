"""Static URLs as pages and scripts spell them: the prefixes, and literal URLs under them.

``STATIC_URL`` gets the ``FORCE_SCRIPT_NAME`` prefix where Django adds it (a setting without a
leading ``/`` or scheme) whoever reads it: the CLI (where ``django.setup()`` set the script prefix)
and a page or a background thread (where the prefix is the request's, or none) read the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from django.conf import settings

from ..paths import path_of_url
from ..storage.instance import as_manifest_storage, collected_storage
from .model import StaticNames

# A URL ends where HTML, CSS or JS would end it.
_URL_REST = r"[^\s\"'<>()`\\]*"


def configured_static_url() -> str:
    """Return ``STATIC_URL`` with the ``FORCE_SCRIPT_NAME`` prefix where Django applies it."""
    # The settings as written: reading STATIC_URL through the lazy wrapper would add the script
    # prefix of whichever thread read it first (a request's, or none).
    written = getattr(settings, "_wrapped")  # noqa: B009 (not a public attribute)
    raw = str(getattr(written, "STATIC_URL", "") or "")
    if not raw or raw.startswith(("http://", "https://", "/")):
        return raw
    script = str(settings.FORCE_SCRIPT_NAME or "").rstrip("/")
    return f"{script}/{raw}"


def static_names() -> StaticNames:
    """Return how this project's static URLs and names read now."""
    static_url = configured_static_url()
    prefixes: tuple[str, ...] = (static_url,) if static_url else ()
    if static_url.startswith(("http://", "https://")):
        prefixes += ("//" + static_url.split("://", 1)[1],)
    storage, _error = collected_storage()
    return StaticNames(static_url, prefixes, as_manifest_storage(storage) is not None)


@lru_cache(maxsize=16)
def _url_regex(prefixes: tuple[str, ...], quoted: bool) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    # Not part of a longer URL or word: "https://elsewhere/static/x" is not ours.
    before = r"(?<=[\"'`])" if quoted else r"(?<![\w.~/:@%+-])"
    return re.compile(f"{before}(?:{alternatives}){_URL_REST}")


def find_static_urls(
    text: str, names: StaticNames, *, quoted: bool = False
) -> Iterator[tuple[int, str, str | None]]:
    """Yield (offset, URL, static path) for each literal URL under ``STATIC_URL`` in ``text``;
    the path is None where the URL names no file (it stops at the prefix). ``quoted`` keeps
    only URLs that open a string literal (scripts)."""
    if not names.url_prefixes:
        return
    for match in _url_regex(names.url_prefixes, quoted).finditer(text):
        url = match.group(0)
        yield match.start(), url, path_of_url(url, names.url_prefixes)
