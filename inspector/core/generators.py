"""Generators: finders whose storage lives inside ``STATIC_ROOT`` (django-compressor's
``CompressorFinder``, django-sass-processor's ``CssFinder``).

They write their outputs (``CACHE/...``, compiled ``.css``) into the collected folder, and their
``find()`` serves anything there in development. So their outputs are sources, not orphans, and
what ``find()`` returns for another source's path is that path's own collected copy, not a rival
candidate. Which files are outputs: everything under a generator folder strictly inside
``STATIC_ROOT``; in ``STATIC_ROOT`` itself, only what the finder is known to write, so that hashed
copies, compressed variants and real orphans stay what they are.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator

from django.conf import settings

from .sources import ListedFile, Source

COMPRESSOR = "compressor.finders.CompressorFinder"
SASS = "sass_processor.finders.CssFinder"
_SASS_SUFFIXES = (".scss", ".sass")


def static_root() -> str | None:
    """Return the real path of ``STATIC_ROOT``, or None when it is not set."""
    root = getattr(settings, "STATIC_ROOT", None)
    return os.path.realpath(os.fspath(root)) if root else None


def is_generator_root(folder: str | None) -> bool:
    """Return True if a finder reading ``folder`` reads the collected folder (or inside it)."""
    root = static_root()
    if folder is None or root is None:
        return False
    real = os.path.realpath(folder)
    return real == root or real.startswith(root + os.sep)


def outputs(source: Source, known: Collection[str]) -> list[ListedFile]:
    """Return the files the generator ``source`` wrote that no other source lists (``known``)."""
    if source.root is None or not os.path.isdir(source.root):
        return []
    whole = os.path.realpath(source.root) != static_root()
    if whole:
        names: Iterator[str] = _files_under(source.root, "")
    elif source.finder == COMPRESSOR:
        names = _files_under(source.root, str(getattr(settings, "COMPRESS_OUTPUT_DIR", "CACHE")))
    elif source.finder == SASS:
        names = _compiled(source.root, known)
    else:
        return []
    return [
        ListedFile(name, name, os.path.join(source.root, name), True)
        for name in names
        if name not in known
    ]


def is_own_copy(source: Source, location: str) -> bool:
    """Return True if ``location``, found by the generator ``source``, lies in its own folder:
    the collected copy of another source's file, or its own output."""
    if source.root is None:
        return False
    root = os.path.realpath(source.root)
    real = os.path.realpath(location)
    return real.startswith(root + os.sep)


def _files_under(root: str, folder: str) -> Iterator[str]:
    top = os.path.join(root, folder) if folder else root
    for current, dirs, files in os.walk(top):
        dirs.sort()
        relative = os.path.relpath(current, root)
        for name in sorted(files):
            yield name if relative == "." else os.path.join(relative, name).replace(os.sep, "/")


def _compiled(root: str, known: Collection[str]) -> Iterator[str]:
    """Yield the ``.css`` (and ``.css.map``) django-sass-processor compiles from listed sources."""
    for path in known:
        if not path.endswith(_SASS_SUFFIXES):
            continue
        css = os.path.splitext(path)[0] + ".css"
        for name in (css, css + ".map"):
            if os.path.isfile(os.path.join(root, name)):
                yield name
