"""What one request used: the static paths it resolved through ``url()``, and its HTML references.

The staticfiles storage's ``url()`` is hooked on the storage *instance*, not on its class: the
built-in StaticFilesPanel already splices a mixin into the class's bases, and a second splice can
make the MRO impossible once the storage class changes at runtime (tests swap ``STORAGES``). The
instance hook calls the class's ``url()`` at call time, so it runs on top of whatever the class
does, the built-in panel's recording included.

Recording is per request through a context variable: concurrent threads and asyncio tasks each see
their own recording, and ``sync_to_async`` copies the context so a sync view rendered in a worker
thread still writes into the request's recording.
"""

from __future__ import annotations

import html
import re
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import Storage

from ..core.paths import path_of_url


@dataclass
class Recording:
    """The static paths one request resolved, in order of first use, with the URLs returned."""

    # path -> URLs that url() returned for it (several when called with different arguments).
    paths: dict[str, list[str]] = field(default_factory=dict)
    # path -> what url() raised (manifest_strict with DEBUG=False: the page is a 500 already).
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, url: str) -> None:
        urls = self.paths.setdefault(path, [])
        if url not in urls:
            urls.append(url)

    @property
    def urls(self) -> set[str]:
        return {url for urls in self.paths.values() for url in urls}


_current: ContextVar[Recording | None] = ContextVar("inspector_static_usage", default=None)
_hook_lock = threading.Lock()


def _recording_url(self: Storage, name: str, *args: Any, **kwargs: Any) -> str:
    """Stand-in for ``storage.url``: the class's own ``url()``, plus a note in the recording."""
    recording = _current.get()
    try:
        # Looked up on the class at call time, so a mixin added to the class later still runs.
        url: str = type(self).url(self, name, *args, **kwargs)
    except Exception as exc:
        if recording is not None:
            recording.errors[str(name)] = str(exc)
            recording.paths.setdefault(str(name), [])
        raise
    if recording is not None:
        recording.add(str(name), url)
    return url


def hook(storage: Storage) -> None:
    """Make ``storage.url`` report to the current recording (idempotent, thread-safe)."""
    if _is_hooked(storage):
        return
    with _hook_lock:
        if not _is_hooked(storage):
            storage.url = types.MethodType(_recording_url, storage)  # type: ignore[method-assign]


def _is_hooked(storage: Storage) -> bool:
    bound = vars(storage).get("url")
    return getattr(bound, "__func__", None) is _recording_url


@contextmanager
def recording() -> Iterator[Recording]:
    """Record every ``url()`` of the hooked storage made inside the block, in this context."""
    current, token = start()
    try:
        yield current
    finally:
        stop(token)


def start() -> tuple[Recording, Token[Recording | None]]:
    """Start recording in this context; return the recording and the token for ``stop``."""
    current = Recording()
    return current, _current.set(current)


def stop(token: Token[Recording | None]) -> None:
    """Stop the recording ``start`` returned the token of."""
    _current.reset(token)


# --- HTML references ------------------------------------------------------------------------

# Comments are dropped first: a commented-out tag is not a reference the browser follows.
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ATTRIBUTE = re.compile(
    r"""(?<![\w-])(src|href|srcset)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""",
    re.IGNORECASE,
)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.DOTALL | re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"""(?<![\w-])style\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]*)\1\s*\)""", re.IGNORECASE)
# Enough for any real page; a generated page with thousands stays cheap to scan and to store.
MAX_REFERENCES = 500


@dataclass(frozen=True, slots=True)
class HtmlReference:
    """A URL in the page that points into the static URL space."""

    url: str
    path: str
    where: str  # "src", "href", "srcset" or "url()"


def scan_html(content: str, prefixes: tuple[str, ...]) -> list[HtmlReference]:
    """Return every distinct static URL of ``content`` (an HTML page), in order of appearance.

    ``prefixes`` are the forms ``STATIC_URL`` can take in the page (``/static/``,
    ``http://host/static/``); only URLs starting with one of them are returned.
    """
    content = _COMMENT.sub("", content)
    found: dict[str, HtmlReference] = {}

    def consider(raw: str, where: str) -> None:
        url = html.unescape(raw).strip()
        if url in found or len(found) >= MAX_REFERENCES:
            return
        path = path_of_url(url, prefixes)
        if path is not None:
            found[url] = HtmlReference(url, path, where)

    for match in _ATTRIBUTE.finditer(content):
        name = match.group(1).lower()
        value = next(g for g in match.groups()[1:] if g is not None)
        if name == "srcset":
            # "a.png 1x, b.png 2x": each candidate is a URL and an optional descriptor.
            for candidate in html.unescape(value).split(","):
                if candidate.strip():
                    consider(candidate.split()[0], name)
        else:
            consider(value, name)
    styles = [m.group(1) for m in _STYLE_BLOCK.finditer(content)]
    styles += [html.unescape(m.group(1) or m.group(2)) for m in _STYLE_ATTRIBUTE.finditer(content)]
    for css in styles:
        for match in _CSS_URL.finditer(css):
            consider(match.group(2), "url()")
    return list(found.values())
