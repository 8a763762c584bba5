"""Generators: finders whose storage lives inside ``STATIC_ROOT`` (django-compressor's
``CompressorFinder``, django-sass-processor's ``CssFinder``).

They write their outputs (``CACHE/...``, compiled ``.css``) into the collected folder, and their
``find()`` serves anything there in development. So their outputs are sources, not orphans, and
what ``find()`` returns for another source's path is that path's own collected copy, not a rival
candidate. Which files are outputs: only what the finder is known to write, so that hashed
copies, compressed variants and real orphans stay what they are; and only where its folder is
``STATIC_ROOT`` itself, where the path it serves a file at is the file's stored name.
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
    if source.root is None or os.path.realpath(source.root) != static_root():
        return []
    names: Iterator[str]
    if source.finder == COMPRESSOR:
        names = _files_under(source.root, str(getattr(settings, "COMPRESS_OUTPUT_DIR", "CACHE")))
    elif source.finder == SASS:
        names = _compiled(source.root, known)
    else:
        return []
    return [
        ListedFile(name, name, os.path.join(source.root, ""), True)
        for name in names
        if name not in known
    ]


def is_collected_copy(path: str, location: str) -> bool:
    """Return True if ``location``, which a generator found for ``path``, is the file
    collectstatic stores ``path`` as (its collected copy)."""
    root = static_root()
    return root is not None and os.path.realpath(location) == os.path.join(root, path)


def _files_under(root: str, folder: str) -> Iterator[str]:
    top = os.path.join(root, folder)
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
